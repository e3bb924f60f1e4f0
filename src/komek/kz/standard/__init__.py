"""The unified standard of support measures of Kazakhstan: parameters (YAML, in ../parameters)
plus one small formula module per measure, each citing its law."""
from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from komek.engine import Entity, ParameterSet, RuleSet

PERSON = Entity("person", "persons")
HOUSEHOLD = Entity("household", "households", ("head", "spouse", "child", "parent", "other"))
INCOME_KINDS = ("wage", "self_employed", "business", "pension", "benefit", "alimony", "rent", "other")
# Measures that are paid in to the state rather than out to the family.
CONTRIBUTIONS = ("opv", "opvr", "social_contribution", "vosms", "oosms")

rules = RuleSet(PERSON, HOUSEHOLD, region_variable="region_code")


@cache
def standard() -> RuleSet:
    """The rule set with every module loaded and checked (cycles and unknown names fail here)."""
    rules.load_modules(__name__)
    rules.parameters = ParameterSet.load(Path(str(files("komek.kz").joinpath("parameters"))))
    rules.check()
    return rules
