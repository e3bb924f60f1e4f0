"""Housing assistance: order No. 117 of 8 Dec 2023 of the Minister of Industry and Construction (rules for
housing assistance, amended 28 Jul 2025 and 19 Nov 2025), under the Law on housing relations.

Amount = eligible housing costs within the norms - the maximum allowable level of the family's
expenses, its share of the family's income set by the district's or city's maslikhat (point 3
part 7; the share per district, else the region's, in housing.yaml). Eligibility and the norms
are still assumptions: their points were not read. Costs that scale with the dwelling (utilities, rent of state housing, maintenance) are
counted for the part of the area within the social norm: a simplification of the per-person
consumption norms (water, gas) that the data does not carry.
"""
import numpy as np

from komek.kz.standard import HOUSEHOLD, rules
from komek.kz.standard.law import HOUSING_RULES, RULES_117


@rules.formula(HOUSEHOLD, "bool", "The family's only home with permanent registration, or state housing",
               reference=HOUSING_RULES.assumed("rules: eligible housing", RULES_117), inputs=["tenure", "only_home"])
def housing_eligible(x, p):
    return ((x.tenure == "own") & x.only_home) | (x.tenure == "state_rent")


@rules.formula(HOUSEHOLD, "float", "Living area within the social norm, m2", reference=HOUSING_RULES.assumed("rules: area norms", RULES_117),
               inputs=["household_size", "area_m2"], params=["housing_assistance.area_norm_per_person", "housing_assistance.area_norm_single"])
def norm_area(x, p):
    norm = np.where(x.household_size == 1, p["housing_assistance.area_norm_single"],
                    p["housing_assistance.area_norm_per_person"] * x.household_size)
    return np.minimum(norm, x.area_m2)


@rules.formula(HOUSEHOLD, "money", "Housing costs within the norms, monthly", reference=HOUSING_RULES.assumed("rules: costs and their norms", RULES_117),
               inputs=["norm_area", "area_m2", "utilities", "maintenance", "communication", "rent"],
               params=["housing_assistance.maintenance_per_m2", "housing_assistance.communication_cap"], rounding="tiyn")
def housing_costs(x, p):
    within = np.where(x.area_m2 > 0, x.norm_area / np.where(x.area_m2 > 0, x.area_m2, 1), 0)
    maintenance = np.minimum(x.maintenance * within, p["housing_assistance.maintenance_per_m2"] * x.norm_area)
    communication = np.minimum(x.communication, p["housing_assistance.communication_cap"])
    return (x.utilities + x.rent) * within + maintenance + communication


@rules.formula(HOUSEHOLD, "money", "Housing assistance, monthly", reference=HOUSING_RULES.at("rules, point 3 part 7 (as worded by order No. 279 of 28 Jul 2025): "
                                         "costs within the norms less the maximum allowable level of the family's expenses"),
               inputs=["housing_costs", "household_housing_income"], params=["housing_assistance.max_income_share"],
               eligible="housing_eligible", rounding="tenge", measure=True)
def housing_assistance(x, p):
    return np.maximum(x.housing_costs - p["housing_assistance.max_income_share"] * x.household_housing_income, 0)
