"""Contributions on wages and self-employment income: OPV and OPVR (Social Code No. 224-VII),
social contributions (СО), and compulsory health insurance (ВОСМС, ООСМС)."""
import numpy as np

from komek.kz.standard import PERSON, rules
from komek.kz.standard.law import CODE_NOT_FOUND, HEALTH_LAW, NOT_READ, SOCIAL_CODE, TAX_CODE

HEALTH = HEALTH_LAW.assumed("contribution rates and bases", NOT_READ)
SELF_EMPLOYED = TAX_CODE.assumed("special tax regime for the self-employed", NOT_READ)
# Art. 1 defines the contributions (subparas. 116), 58) and 15), as uchet.kz and 1cbit.kz quote it); the
# articles of their rates, bases and exemptions were not found.
RATE_NOT_FOUND = "the article of the rate and base was not found in the texts read"
OPV = SOCIAL_CODE.assumed("mandatory pension contributions (the concept: art. 1 subpara. 116))", RATE_NOT_FOUND)
OPVR = SOCIAL_CODE.assumed("employer's mandatory pension contributions (the concept: art. 1 subpara. 58))", RATE_NOT_FOUND)


def _base(wage, mzp, floor, cap):
    """The contribution base: the wage within [floor, cap] minimum wages; nothing on no wage."""
    return np.where(wage > 0, np.clip(wage, floor * mzp, cap * mzp), 0)


@rules.formula(PERSON, "money", "Self-employment income under the special regime", reference=SELF_EMPLOYED,
               inputs=["income_self_employed", "self_employed_regime"])
def special_regime_income(x, p):
    return np.where(x.self_employed_regime == "special", x.income_self_employed, 0)


@rules.formula(PERSON, "money", "Self-employment income under the simplified declaration", reference=SELF_EMPLOYED,
               inputs=["income_self_employed", "self_employed_regime"])
def simplified_regime_income(x, p):
    return np.where(x.self_employed_regime == "simplified", x.income_self_employed, 0)


@rules.formula(PERSON, "money", "Mandatory pension contribution (OPV), monthly",
               reference=f"{OPV}; {SELF_EMPLOYED}",
               inputs=["income_wage", "special_regime_income", "simplified_regime_income"],
               params=["opv.rate", "opv.cap_mzp", "minimum_wage", "self_employed.special_regime_rate"],
               rounding="tiyn", measure=True)
def opv(x, p):
    mzp = p["minimum_wage"]
    wage = np.minimum(x.income_wage, p["opv.cap_mzp"] * mzp)
    simplified = _base(x.simplified_regime_income, mzp, 1, p["opv.cap_mzp"])
    return p["opv.rate"] * (wage + simplified) + p["self_employed.special_regime_rate"] * x.special_regime_income


@rules.formula(PERSON, "bool", "Born before the first cohort liable for OPVR (1 January 1975)",
               reference=OPVR, inputs=["birth_year"], params=["opvr.born_from"])
def before_opvr_cohort(x, p):
    return x.birth_year < p["opvr.born_from"]


@rules.formula(PERSON, "bool", "Income liable to OPVR, while OPVR is in force (from 2024)",
               reference=OPVR,
               inputs=["income_wage", "special_regime_income", "simplified_regime_income"], params=["opvr.rate"])
def opvr_liable(x, p):
    in_force = p["opvr.rate"] > 0
    return in_force & ((x.income_wage + x.special_regime_income + x.simplified_regime_income) > 0)


@rules.formula(PERSON, "money", "Employer's mandatory pension contribution (OPVR), monthly",
               reference=OPVR,
               inputs=["income_wage", "special_regime_income", "simplified_regime_income"], eligible="opvr_liable",
               params=["opvr.rate", "opvr.floor_mzp", "opvr.cap_mzp", "minimum_wage", "self_employed.special_regime_rate"],
               rounding="tiyn", measure=True)
def opvr(x, p):
    mzp = p["minimum_wage"]
    base = _base(x.income_wage + x.simplified_regime_income, mzp, p["opvr.floor_mzp"], p["opvr.cap_mzp"])
    return p["opvr.rate"] * base + p["self_employed.special_regime_rate"] * x.special_regime_income


opvr.exempt("before_opvr_cohort", reference=SOCIAL_CODE.assumed("OPVR only for those born on or after 1 January 1975", CODE_NOT_FOUND),
            label="born before 1975")
opvr.exempt("pension_age", reference=SOCIAL_CODE.assumed("OPVR exemption for recipients of pension age", CODE_NOT_FOUND), label="pension age")
opvr.exempt("severe_disability", reference=SOCIAL_CODE.assumed("OPVR exemption for disability groups 1 and 2", CODE_NOT_FOUND),
            label="disability group 1 or 2")
opvr.exempt("military", reference=SOCIAL_CODE.assumed("OPVR exemption for military and special state bodies", CODE_NOT_FOUND), label="military")


@rules.formula(PERSON, "money", "Social contribution (СО), monthly",
               reference=SOCIAL_CODE.assumed("social contributions to the State Social Insurance Fund (the concept: art. 1 "
                                             "subpara. 15))", RATE_NOT_FOUND),
               inputs=["income_wage", "special_regime_income"],
               params=["social_contribution.rate", "social_contribution.floor_mzp", "social_contribution.cap_mzp",
                       "minimum_wage", "self_employed.special_regime_rate"], rounding="tiyn", measure=True)
def social_contribution(x, p):
    base = _base(x.income_wage, p["minimum_wage"], p["social_contribution.floor_mzp"], p["social_contribution.cap_mzp"])
    return p["social_contribution.rate"] * base + p["self_employed.special_regime_rate"] * x.special_regime_income


@rules.formula(PERSON, "money", "Employee contribution to compulsory health insurance (ВОСМС), monthly", reference=HEALTH,
               inputs=["income_wage", "special_regime_income"],
               params=["vosms.rate", "vosms.cap_mzp", "minimum_wage", "self_employed.special_regime_rate"],
               rounding="tiyn", measure=True)
def vosms(x, p):
    wage = np.minimum(x.income_wage, p["vosms.cap_mzp"] * p["minimum_wage"])
    return p["vosms.rate"] * wage + p["self_employed.special_regime_rate"] * x.special_regime_income


@rules.formula(PERSON, "money", "Employer contribution to compulsory health insurance (ООСМС), monthly", reference=HEALTH,
               inputs=["income_wage"], params=["oosms.rate", "oosms.cap_mzp", "minimum_wage"], rounding="tiyn", measure=True)
def oosms(x, p):
    return p["oosms.rate"] * np.minimum(x.income_wage, p["oosms.cap_mzp"] * p["minimum_wage"])
