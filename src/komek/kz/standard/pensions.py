"""Pensions: the base pension (Social Code No. 224-VII) and payments from pension savings (UAPF)."""
import numpy as np

from komek.kz.standard import PERSON, rules
from komek.kz.standard.law import CODE_NOT_FOUND, NOT_READ, SOCIAL_CODE, UAPF_RULES

UAPF = UAPF_RULES.assumed("payments from pension savings", NOT_READ)


@rules.formula(PERSON, "money", "Base pension, monthly", reference=SOCIAL_CODE.assumed("base pension", CODE_NOT_FOUND),
               inputs=["participation_years"], eligible="pension_age", rounding="tenge_up", measure=True,
               params=["base_pension.minimum_share", "base_pension.step_share", "base_pension.base_years",
                       "base_pension.maximum_share", "subsistence_minimum"])
def base_pension(x, p):
    extra = np.maximum(x.participation_years - p["base_pension.base_years"], 0)
    share = np.minimum(p["base_pension.minimum_share"] + p["base_pension.step_share"] * extra, p["base_pension.maximum_share"])
    return share * p["subsistence_minimum"]


@rules.formula(PERSON, "bool", "Pension savings above the lump-sum threshold", reference=UAPF,
               inputs=["uapf_savings", "pension_age"], params=["uapf.lump_sum_minimum_pensions", "minimum_pension"])
def uapf_annuity_eligible(x, p):
    return x.pension_age & (x.uapf_savings > p["uapf.lump_sum_minimum_pensions"] * p["minimum_pension"])


@rules.formula(PERSON, "money", "Payment from pension savings (UAPF), monthly", reference=UAPF,
               inputs=["uapf_savings", "uapf_years_paid"], eligible="uapf_annuity_eligible", rounding="tiyn", measure=True,
               params=["uapf.first_year_rate", "uapf.indexation", "uapf.floor_share", "subsistence_minimum"])
def uapf_pension(x, p):
    yearly = x.uapf_savings * p["uapf.first_year_rate"] * (1 + p["uapf.indexation"]) ** x.uapf_years_paid
    return np.maximum(yearly / 12, p["uapf.floor_share"] * p["subsistence_minimum"])


@rules.formula(PERSON, "bool", "Pension savings paid at once: up to the lump-sum threshold, not yet paid", reference=UAPF,
               inputs=["uapf_savings", "pension_age", "uapf_years_paid"],
               params=["uapf.lump_sum_minimum_pensions", "minimum_pension"])
def uapf_lump_sum_eligible(x, p):
    small = (x.uapf_savings > 0) & (x.uapf_savings <= p["uapf.lump_sum_minimum_pensions"] * p["minimum_pension"])
    return x.pension_age & small & (x.uapf_years_paid == 0)


@rules.formula(PERSON, "money", "Pension savings paid as a lump sum (one-off)", reference=UAPF, inputs=["uapf_savings"],
               eligible="uapf_lump_sum_eligible", rounding="tiyn", measure=True)
def uapf_lump_sum(x, p):
    return x.uapf_savings
