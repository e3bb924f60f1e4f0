"""The unified standard of support measures of Kazakhstan: parameters (YAML, in ../parameters)
plus one small formula module per measure, each citing its law.

Roles and income kinds are the registry contract's codes, so the rules, the situation format
and the extract agree by construction.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from komek import __version__
from komek.engine import Entity, ParameterSet, RuleSet, Simulation
from komek.kz import contract

ROLES = contract().codes("households", "role")
INCOME_KINDS = contract().codes("incomes", "kind")
PERSON = Entity("person", "persons")
HOUSEHOLD = Entity("household", "households", ROLES)
# Measures that are paid in to the state rather than out to the family.
CONTRIBUTIONS = ("opv", "opvr", "social_contribution", "vosms", "oosms")
# Recorded incomes that are the state's own payments, which the measures compute: a family's
# income after a simulation counts the simulated benefits in their place, never both.
TRANSFER_INCOMES = ("pension", "benefit")

# A KATO locality code begins with its region's 2 digits and its district's or city's next 2:
# a regional value set by a district maslikhat is keyed by that 4-digit prefix.
rules = RuleSet(PERSON, HOUSEHOLD, region_variable="region_code", locality_variable="locality_code")


@cache
def standard() -> RuleSet:
    """The rule set with every module loaded and checked (cycles and unknown names fail here)."""
    rules.load_modules(__name__)
    from komek.kz.standard.income import COUNTED_INCOME  # loaded with the modules above
    loaded = ParameterSet.load(Path(str(files("komek.kz").joinpath("parameters"))))
    if twice := set(loaded.params) & set(COUNTED_INCOME.parameters):
        raise ValueError(f"parameters set both in income.yaml and in a parameter file: {sorted(twice)}")
    rules.parameters = ParameterSet({**loaded.params, **COUNTED_INCOME.parameters})
    rules.check()
    return rules


def household_measures() -> list[str]:
    return [m.name for m in standard().measures() if not m.entity.is_person]


def person_measures() -> list[str]:
    return [m.name for m in standard().measures() if m.entity.is_person]


def benefits() -> list[str]:
    """The measures paid out to families: every measure that is not a contribution."""
    return [m.name for m in standard().measures() if m.name not in CONTRIBUTIONS]


@cache
def rules_version() -> str:
    """The code version and a digest of the parameter files and income lists: what a decision was made under."""
    digest = hashlib.sha256()
    for path in sorted(files("komek.kz").joinpath("parameters").iterdir(), key=lambda p: p.name):
        digest.update(path.read_bytes())
    digest.update(files("komek.kz").joinpath("income.yaml").read_bytes())    # the income each measure counts
    return f"komek {__version__} / parameters {digest.hexdigest()[:12]}"


def ages(birth_dates: np.ndarray, on: dt.date) -> np.ndarray:
    """Age in full years on `on`, as the rules count it (the `age` variable): the one definition
    of age every part of Komek uses."""
    birth = np.asarray(birth_dates, dtype="datetime64[D]")
    sim = Simulation(standard(), on, {"birth_date": birth}, {}, np.zeros(len(birth), dtype=np.int64))
    return sim.calculate("age")
