"""The family's income as each measure counts it (monthly averages over the reference quarter)."""
import numpy as np

from komek.kz.standard import HOUSEHOLD, INCOME_KINDS, PERSON, rules
from komek.kz.standard.demography import SOCIAL_CODE

ALL_INCOMES = [f"income_{k}" for k in INCOME_KINDS]


def _counted(x, kinds) -> np.ndarray:
    return sum((getattr(x, f"income_{k}") for k in kinds), np.zeros(x.n))


@rules.formula(PERSON, "money", "Income counted for targeted social assistance",
               reference=f"{SOCIAL_CODE}, targeted social assistance: counted income", inputs=ALL_INCOMES,
               params=["tsa.counted_income_kinds"])
def tsa_income(x, p):
    return _counted(x, p["tsa.counted_income_kinds"])


@rules.formula(PERSON, "money", "Income counted for housing assistance", reference="MLSP order No. 117 of 8 Dec 2023",
               inputs=ALL_INCOMES, params=["housing_assistance.counted_income_kinds"])
def housing_income(x, p):
    return _counted(x, p["housing_assistance.counted_income_kinds"])


@rules.formula(PERSON, "bool", "Insured through work (wage or self-employment income)", reference=SOCIAL_CODE,
               inputs=["income_wage", "income_self_employed"])
def insured(x, p):
    return (x.income_wage > 0) | (x.income_self_employed > 0)


@rules.formula(PERSON, "bool", "Parent (head or spouse) insured through work", reference=SOCIAL_CODE,
               inputs=["insured", "role"])
def insured_parent(x, p):
    return x.insured & np.isin(x.role, ["head", "spouse"])


rules.aggregate("household_tsa_income", "tsa_income", "sum", "Family income counted for TSA, monthly")
rules.aggregate("household_housing_income", "housing_income", "sum", "Family income counted for housing assistance, monthly")
rules.aggregate("insured_parents", "insured_parent", "count", "Parents insured through work", dtype="int")


@rules.formula(HOUSEHOLD, "money", "Per-capita monthly income (income of the previous quarter / 3 / members)",
               reference=f"{SOCIAL_CODE}, targeted social assistance", inputs=["household_tsa_income", "household_size"])
def per_capita_income(x, p):
    return x.household_tsa_income / np.maximum(x.household_size, 1)
