"""The life of an application as data: the states, the moves each state allows and the roles that
may make each, and what a move needs. A move the table does not allow is refused with the moves
that are allowed, so a face can offer them.

An approval needs an assessment that found the applicant eligible: nothing is decided by a score
or an audit flag, and an amount the rules could not compute is never assumed.
"""
from __future__ import annotations

from komek.errors import TransitionError

STATES = ("submitted", "in_review", "needs_information", "approved", "rejected", "withdrawn")
OPEN = ("submitted", "in_review", "needs_information")     # in a caseworker's queue
SYSTEM = "system"                                           # the role of a move the rules make
SUPERVISOR = "supervisor"                                   # a decision changed on appeal (komek.cases.appeals)
# from -> to -> the roles that may make the move.
MOVES: dict[str, dict[str, tuple[str, ...]]] = {
    "submitted": {"in_review": ("caseworker",), "approved": (SYSTEM,), "withdrawn": ("citizen", "caseworker")},
    "in_review": {"needs_information": ("caseworker",), "approved": ("caseworker",), "rejected": ("caseworker",),
                  "withdrawn": ("citizen", "caseworker")},
    "needs_information": {"in_review": ("caseworker", "citizen"), "withdrawn": ("citizen", "caseworker")},
    # The decision reopened: its assignment ends. Or changed on appeal: a new amount, from today.
    "approved": {"in_review": ("caseworker",), "approved": (SUPERVISOR,)},
    "rejected": {"in_review": ("caseworker",), "approved": (SUPERVISOR,)},     # reconsidered, or granted on appeal
    "withdrawn": {},
}
NEEDS = {"approved": "an assessment that found the applicant eligible"}   # to -> what the move needs
# A supervisor granting an appeal approves with an amount of their own and its basis (services.appeals).


def allowed(state: str, role: str, eligible: bool | None) -> list[str]:
    """The states `role` may move an application in `state` to (given what the rules found)."""
    return [to for to, roles in MOVES[state].items()
            if role in roles and (to != "approved" or eligible is True or role == SUPERVISOR)]


def check(state: str, to: str, role: str, eligible: bool | None) -> None:
    """Nothing when `role` may move the application from `state` to `to`; a TransitionError
    naming the moves allowed otherwise."""
    if to in allowed(state, role, eligible):
        return
    can = allowed(state, role, eligible)
    if to not in STATES:
        why = f"{to!r} is not a state (states: {', '.join(STATES)})"
    elif to not in MOVES[state]:
        why = f"an application {state} cannot move to {to}"
    elif role not in MOVES[state][to]:
        why = f"a {role} does not move an application from {state} to {to}"
    else:
        why = f"moving to {to} needs {NEEDS[to]}"
    raise TransitionError(f"{why}; allowed: {', '.join(can) or 'none'}", can)
