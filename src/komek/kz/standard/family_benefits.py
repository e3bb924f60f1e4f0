"""Family benefits in MCI, not means-tested (Social Code No. 224-VII): birth, childcare to 1.5
years, large families, and the allowances of mothers awarded "Kumis alka" and "Altyn alka"."""
import numpy as np

from komek.kz.standard import HOUSEHOLD, PERSON, rules
from komek.kz.standard.law import AWARD_STATUTES, CODE_NOT_FOUND, NOT_READ, SOCIAL_CODE

BIRTH = SOCIAL_CODE.at("art. 80 (one-off birth benefit)")
CHILDCARE = SOCIAL_CODE.assumed("childcare benefit to 1.5 years", CODE_NOT_FOUND)
LARGE_FAMILY = SOCIAL_CODE.assumed("benefit to large families", CODE_NOT_FOUND)
MOTHERS = SOCIAL_CODE.assumed("allowance to mothers awarded \"Kumis alka\" or \"Altyn alka\"", CODE_NOT_FOUND)


@rules.formula(HOUSEHOLD, "money", "Birth benefit (one-off, in the month of birth)",
               reference=BIRTH, inputs=["newborns", "mother_children_born"],
               params=["birth.first_to_third_mci", "birth.fourth_plus_mci", "mci"], rounding="tenge", measure=True)
def birth_benefit(x, p):
    # The newborns are the mother's last children: with k of them and n children in all, the
    # ones ranked 4th or later are those above max(3, n - k).
    total = np.maximum(x.mother_children_born, x.newborns)
    fourth_plus = np.clip(total - np.maximum(3, total - x.newborns), 0, x.newborns)
    return ((x.newborns - fourth_plus) * p["birth.first_to_third_mci"] + fourth_plus * p["birth.fourth_plus_mci"]) * p["mci"]


@rules.formula(PERSON, "bool", "Child under 1.5 years", reference=CHILDCARE,
               inputs=["age_months", "role"], params=["childcare.age_months"])
def childcare_child(x, p):
    return (x.role == "child") & (x.age_months >= 0) & (x.age_months < p["childcare.age_months"])


rules.aggregate("childcare_children", "childcare_child", "count", "Children under 1.5 years", dtype="int")


@rules.formula(HOUSEHOLD, "bool", "A child under 1.5 and no parent insured through work",
               reference=CHILDCARE, inputs=["childcare_children", "insured_parents"])
def childcare_eligible(x, p):
    return (x.childcare_children > 0) & (x.insured_parents == 0)


@rules.formula(HOUSEHOLD, "money", "Childcare benefit to 1.5 years (parent not insured), monthly",
               reference=CHILDCARE, inputs=["childcare_children", "mother_children_born"],
               params=["childcare.by_order_mci", "mci"], eligible="childcare_eligible", rounding="tenge", measure=True)
def childcare_benefit(x, p):
    # The youngest child's order is the mother's number of births; an older one under 1.5 comes before.
    scale = p.scale("childcare.by_order_mci")
    order = np.maximum(x.mother_children_born, x.childcare_children)
    total = np.zeros(x.n)
    for k in range(int(x.childcare_children.max(initial=0))):
        total += np.where(k < x.childcare_children, scale.lookup(np.maximum(order - k, 1)), 0)
    return total * p["mci"]


@rules.formula(HOUSEHOLD, "bool", "Four or more children living together", reference=LARGE_FAMILY,
               inputs=["dependent_children"])
def large_family(x, p):
    return x.dependent_children >= 4


@rules.formula(HOUSEHOLD, "bool", "Eight or more children", reference=LARGE_FAMILY,
               inputs=["dependent_children"])
def eight_or_more_children(x, p):
    return x.dependent_children >= 8


@rules.formula(HOUSEHOLD, "money", "Large-family benefit, monthly", reference=LARGE_FAMILY,
               inputs=["dependent_children"], params=["large_family.by_children_mci", "mci"], eligible="large_family",
               rounding="tenge", measure=True)
def large_family_benefit(x, p):
    return p.scale("large_family.by_children_mci").lookup(x.dependent_children) * p["mci"]


@large_family_benefit.exception("eight_or_more_children", reference=LARGE_FAMILY,
                                label="8 or more children: an amount per child", inputs=["dependent_children"],
                                params=["large_family.per_child_from_8_mci", "mci"])
def _per_child(x, p):
    return x.dependent_children * p["large_family.per_child_from_8_mci"] * p["mci"]


@rules.formula(PERSON, "str", "Mother award (recorded, or by the number of children where not recorded)",
               reference=AWARD_STATUTES.assumed("the number of children for each award", NOT_READ), inputs=["mother_award", "mother", "children_born"],
               params=["mother_award.kumis_alka_children", "mother_award.altyn_alka_children"])
def mother_award_held(x, p):
    by_children = np.select([x.mother & (x.children_born >= p["mother_award.altyn_alka_children"]),
                             x.mother & (x.children_born >= p["mother_award.kumis_alka_children"])],
                            ["altyn_alka", "kumis_alka"], "")
    return np.where(x.mother_award != "", x.mother_award, by_children)


@rules.formula(PERSON, "money", 'Allowance to mothers awarded "Kumis alka" or "Altyn alka", monthly',
               reference=MOTHERS, inputs=["mother_award_held"],
               params=["mother_award.kumis_alka_mci", "mother_award.altyn_alka_mci", "mci"],
               rounding="tenge", measure=True)
def mother_award_allowance(x, p):
    mci = np.select([x.mother_award_held == "altyn_alka", x.mother_award_held == "kumis_alka"],
                    [p["mother_award.altyn_alka_mci"], p["mother_award.kumis_alka_mci"]], 0)
    return mci * p["mci"]
