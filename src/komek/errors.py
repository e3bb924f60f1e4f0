"""Every error Komek raises about what it was given, in one place, shared by every floor.

Each is a `KomekError`: a faulty input, a missing or unreachable source, a schema that is
behind. Its message names the field or the thing and the problem; a face (the command line,
later the API) turns it into one line (and exit code 2, or an HTTP status) without a
traceback, and adds what to do where the face knows it (`FIX`).
"""
from __future__ import annotations


class KomekError(ValueError):
    """A problem with what Komek was given, told in one line."""


class FieldError(KomekError):
    """One field of the input is wrong: `field: problem`."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")


class ContractError(KomekError):
    """An extract as a whole breaks the contract (a file or a column is missing, a file unreadable)."""


class SituationError(KomekError):
    """A household situation is not valid; the message lists every problem with its JSON path
    (`problems`: the same as {path, message} pairs)."""

    def __init__(self, message: str, problems: list[dict] | None = None):
        self.problems = problems or []
        super().__init__(message)


class ParameterError(KomekError, KeyError):
    """A parameter is unknown or has no value on the date asked."""

    def __str__(self) -> str:    # KeyError quotes its message; we want it plain
        return str(self.args[0])


class RuleError(KomekError):
    """The rules themselves are inconsistent (found when they load, never at run time)."""


class InputError(KomekError):
    """Inputs handed to the engine do not fit the rule set (unknown name, wrong length)."""


class ReformError(KomekError):
    """A reform file cannot be read or names what the rules do not have; `field` is the part of
    the reform that is wrong (`start`, `parameters.NAME`), when it is one part."""

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(message)


class SourceError(KomekError):
    """A source of registry data cannot be used: a folder that is not an extract, a database
    URL that is invalid or unreachable, a database without the registry."""


class SchemaError(SourceError):
    """The database schema is not at the version this code needs (it is migrated only on request)."""


class OutOfCalendar(KomekError):
    """A date outside the years the working-day calendar knows: unknown, never guessed."""


class NotFound(KomekError):
    """A household, person or finding asked for is not there."""


class Conflict(KomekError):
    """The request conflicts with the record's state (answered 409): nothing was changed."""


class ReviewError(Conflict):
    """A review that cannot be made: unknown finding, already reviewed, missing amount or reason."""


class TransitionError(Conflict):
    """A case cannot move to the state asked (from where it is, or by this role); `allowed`: the
    states it may move to, by this actor, from where it is."""

    def __init__(self, message: str, allowed: list[str]):
        self.allowed = allowed
        super().__init__(message)


class SurveyError(KomekError):
    """A survey file cannot be used for the proxy means test."""


class SignInError(KomekError):
    """A sign-in or a token that is refused: a wrong password, a locked account, an expired token."""


class Forbidden(KomekError):
    """The actor's role or regions do not allow what was asked."""


class ClusterError(KomekError):
    """A computing cluster (a Dask scheduler) cannot be reached."""


# What a person at the command line does about each kind of error, where there is one thing to do.
FIX = {SchemaError: "run `komek migrate` first"}
