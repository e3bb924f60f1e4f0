"""Targeted social assistance (АСП): Social Code No. 224-VII, in force 1 July 2023; poverty line
by MLSP order No. 160 of 19 May 2023 and, from 1 January 2025, order No. 473 of 20 Dec 2024."""
import datetime as dt

import numpy as np

from komek.kz.standard import HOUSEHOLD, PERSON, rules
from komek.kz.standard.law import CODE_NOT_FOUND, POVERTY_LINE_2023, POVERTY_LINE_2025, SOCIAL_CODE

# eGov cites art. 120 para. 4 for TSA: a payment to those whose per-capita income does not exceed the
# poverty line, unconditional or conditional. Art. 122 (read) makes assistance conditional for low-income
# families with an able-bodied member, except those of its para. 4 (not read), and a social contract
# its condition. The unconditional cases, the amount and the supplement follow eGov and gov.kz.
ART_120_4 = SOCIAL_CODE.at("art. 120 para. 4")
CONDITIONAL = SOCIAL_CODE.at("art. 122 para. 1 (conditional cash assistance: low-income families with an able-bodied "
                             "member) and para. 2 (the social contract is its condition)")
UNCONDITIONAL = SOCIAL_CODE.assumed("art. 122 para. 1 (conditional assistance, except the families of para. 4): "
                                    "the unconditional cases follow eGov", "art. 122 para. 4 was not read")
SUPPLEMENT = SOCIAL_CODE.assumed("targeted social assistance: supplement for children aged 1 to 6", CODE_NOT_FOUND)
ORDERS_NOT_READ = "the orders' wording is known from the press quoting them; the register's text was not read"


def previous_quarter_start(on: dt.date) -> dt.date:
    q_start = dt.date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
    return dt.date(q_start.year - 1, 10, 1) if q_start.month == 1 else dt.date(q_start.year, q_start.month - 3, 1)


@rules.formula(HOUSEHOLD, "money", "Poverty line for the quarter of application",
               reference=f"{POVERTY_LINE_2023.title}; {POVERTY_LINE_2025.assumed('the poverty line', ORDERS_NOT_READ)}",
               params=["tsa.poverty_line.subsistence_share", "tsa.poverty_line.median_share",
                       "tsa.statistical_subsistence_minimum", "tsa.median_income", "tsa.published_poverty_line"],
               rounding="tiyn")
def tsa_poverty_line(x, p):
    # Shares are those in force at the application date; the minimum and the median are those
    # of the quarter before the quarter of application. A line published for the region and
    # quarter is the line: it rests on the region's own statistics, which are not published.
    before = p.at(previous_quarter_start(p.date))
    line = p["tsa.poverty_line.subsistence_share"] * before["tsa.statistical_subsistence_minimum"]
    share = p["tsa.poverty_line.median_share"]
    if share != 0:
        line = np.maximum(share * before["tsa.median_income"], line)
    published = p.where_known("tsa.published_poverty_line")
    return np.where(np.isnan(published), line, published)


@rules.formula(HOUSEHOLD, "bool", "Unconditional TSA: no able-bodied member, or the only one cares for a "
               "child under 3, a disabled child, a group 1-2 disabled or an elderly member", reference=UNCONDITIONAL,
               inputs=["able_bodied_members", "children_under_3", "disabled_children", "severe_disabled_members", "pensioners"])
def tsa_unconditional(x, p):
    cares = (x.children_under_3 + x.disabled_children + x.severe_disabled_members + x.pensioners) > 0
    return (x.able_bodied_members == 0) | ((x.able_bodied_members == 1) & cares)


rules.aggregate("severe_disabled_members", "severe_disability", "count", "Members disabled of group 1 or 2", dtype="int")


@rules.formula(HOUSEHOLD, "bool", "Conditional TSA family that has not signed a social contract", reference=CONDITIONAL,
               inputs=["tsa_unconditional", "social_contract"])
def tsa_without_social_contract(x, p):
    return ~x.tsa_unconditional & ~x.social_contract


@rules.formula(HOUSEHOLD, "bool", "Per-capita income below the poverty line", reference=ART_120_4,
               inputs=["per_capita_income", "tsa_poverty_line"])
def tsa_eligible(x, p):
    return x.per_capita_income < x.tsa_poverty_line


@rules.formula(HOUSEHOLD, "money", "Targeted social assistance, monthly",
               reference=SOCIAL_CODE.assumed("art. 120 para. 4; the amount, the shortfall from the line times the members, follows gov.kz",
                                             "the article of the amount was not found in the texts read"),
               inputs=["tsa_poverty_line", "per_capita_income", "household_size"], eligible="tsa_eligible",
               rounding="tenge", measure=True)
def tsa(x, p):
    return (x.tsa_poverty_line - x.per_capita_income) * x.household_size


tsa.exempt("tsa_without_social_contract",
           reference=SOCIAL_CODE.at("art. 122 para. 2 (the social contract is the condition of conditional assistance)"),
           label="conditional TSA without a social contract")


@rules.formula(PERSON, "bool", "Child aged 1 to 6 inclusive", reference=SUPPLEMENT, inputs=["age", "role"],
               params=["tsa.child_supplement_age.from", "tsa.child_supplement_age.to"])
def supplement_child(x, p):
    return (x.role == "child") & (x.age >= p["tsa.child_supplement_age.from"]) & (x.age <= p["tsa.child_supplement_age.to"])


rules.aggregate("supplement_children", "supplement_child", "count", "Children aged 1 to 6", dtype="int")


@rules.formula(HOUSEHOLD, "bool", "Receives TSA", reference=SUPPLEMENT, inputs=["tsa"])
def tsa_recipient(x, p):
    return x.tsa > 0


@rules.formula(HOUSEHOLD, "money", "TSA supplement for children aged 1 to 6, monthly", reference=SUPPLEMENT,
               inputs=["supplement_children"], params=["tsa.child_supplement_mci", "mci"], eligible="tsa_recipient",
               rounding="tenge", measure=True)
def tsa_child_supplement(x, p):
    return x.supplement_children * p["tsa.child_supplement_mci"] * p["mci"]
