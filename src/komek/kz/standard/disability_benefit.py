"""Disability benefits (Social Code art. 177) and carer benefits, as multiples of the subsistence
minimum, rounded up to the tenge as the published amounts are."""
import numpy as np

from komek.kz.standard import HOUSEHOLD, PERSON, rules
from komek.kz.standard.law import ART_177, CODE_NOT_FOUND, SOCIAL_CODE

GROUP = {"1": 1, "2": 2, "3": 3}


def _group(codes: np.ndarray) -> np.ndarray:
    """Group number; an ungraded disabled child (code 'child') takes group 3's rate (assumption)."""
    return np.select([codes == "1", codes == "2"], [1, 2], 3)


@rules.formula(PERSON, "bool", "Has a disability group", reference=ART_177, inputs=["disability_group"])
def disabled(x, p):
    return x.disability_group != ""


@rules.formula(PERSON, "bool", "Disabled child under 7", reference=ART_177, inputs=["age", "disabled"],
               params=["disability.young_child_age"])
def disabled_under_7(x, p):
    return x.disabled & (x.age < p["disability.young_child_age"])


@rules.formula(PERSON, "bool", "Disabled child aged 7-18 or disabled since childhood", reference=ART_177,
               inputs=["age", "disabled", "disability_cause"], params=["disability.child_age_limit"])
def disabled_since_childhood(x, p):
    return x.disabled & ((x.age < p["disability.child_age_limit"]) | (x.disability_cause == "childhood"))


@rules.formula(PERSON, "money", "Disability benefit, monthly", reference=ART_177,
               inputs=["disability_group"], params=["disability.general", "subsistence_minimum"],
               eligible="disabled", rounding="tenge_up", measure=True)
def disability_benefit(x, p):
    return p.scale("disability.general").lookup(_group(x.disability_group)) * p["subsistence_minimum"]


@disability_benefit.exception("disabled_under_7", reference=ART_177, label="disabled child under 7",
                              params=["disability.child_under_7", "subsistence_minimum"])
def _under_7(x, p):
    return p["disability.child_under_7"] * p["subsistence_minimum"]


@disability_benefit.exception("disabled_since_childhood", reference=ART_177,
                              label="child 7-18 or disabled since childhood", inputs=["disability_group"],
                              params=["disability.childhood", "subsistence_minimum"])
def _childhood(x, p):
    return p.scale("disability.childhood").lookup(_group(x.disability_group)) * p["subsistence_minimum"]


@rules.formula(HOUSEHOLD, "money", "Benefit to a parent raising a disabled child, monthly",
               reference=SOCIAL_CODE.assumed("benefit to persons raising a disabled child", CODE_NOT_FOUND), inputs=["disabled_children"],
               params=["carer.disabled_child", "subsistence_minimum"], rounding="tenge_up", measure=True)
def disabled_child_carer_benefit(x, p):
    return x.disabled_children * p["carer.disabled_child"] * p["subsistence_minimum"]


@rules.formula(HOUSEHOLD, "money", "Benefit to a person caring for a group 1 disabled member, monthly",
               reference=SOCIAL_CODE.assumed("benefit to carers of group 1 disabled persons", CODE_NOT_FOUND),
               inputs=["group_1_adults", "household_size"], params=["carer.group_1", "subsistence_minimum"],
               rounding="tenge_up", measure=True)
def carer_benefit(x, p):
    # One benefit per group 1 adult who lives with someone who can care for them.
    has_carer = x.household_size > x.group_1_adults
    return np.where(has_carer, x.group_1_adults, 0) * p["carer.group_1"] * p["subsistence_minimum"]
