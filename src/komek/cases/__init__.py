"""Cases: what happens to a person's request, from the application to the decision, the appeal,
an offer and an appointment, and the messages that tell them of it (`notifications`). A wing:
the applications' state machine (`workflow`), their working-day deadlines (`deadlines`) and who
decides each measure (`decisions.yaml`); the services file, assess and move cases with them."""
from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml

from komek.cases import appeals, appointments, deadlines, payments, workflow


@cache
def decisions() -> dict:
    return yaml.safe_load(files(__package__).joinpath("decisions.yaml").read_text("utf-8"))


def decision(measure: str) -> dict:
    """Who decides an application for `measure` (caseworker or rules), the months an approval
    assigns (None: until changed), and the basis."""
    return {**decisions()["default"], **decisions()["measures"].get(measure, {})}


__all__ = ["appeals", "appointments", "deadlines", "decision", "decisions", "payments", "workflow"]
