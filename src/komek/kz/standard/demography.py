"""Ages, household composition and capacity for work, derived from the inputs."""
import numpy as np

from komek.engine.dates import civil
from komek.kz.standard import PERSON, rules
from komek.kz.standard.law import ART_177, CODE_NOT_FOUND, SOCIAL_CODE

# Ages and membership as every measure counts them: no article read defines them.
CALENDAR = SOCIAL_CODE.assumed("age in full years and months, and household membership", CODE_NOT_FOUND)


@rules.formula(PERSON, "int", "Date of birth as the number YYYYMMDD", reference=CALENDAR, inputs=["birth_date"])
def birth_ymd(x, p):
    # One pass of the calendar for all three parts below (the slowest step of a country's ages).
    year, month, day = civil(x.birth_date)
    return year * 10_000 + month * 100 + day


@rules.formula(PERSON, "int", "Year of birth", reference=CALENDAR, inputs=["birth_ymd"])
def birth_year(x, p):
    return x.birth_ymd // 10_000


@rules.formula(PERSON, "int", "Month of birth (1-12)", reference=CALENDAR, inputs=["birth_ymd"])
def birth_month(x, p):
    return x.birth_ymd // 100 % 100


@rules.formula(PERSON, "int", "Day of birth (1-31)", reference=CALENDAR, inputs=["birth_ymd"])
def birth_day(x, p):
    return x.birth_ymd % 100


@rules.formula(PERSON, "int", "Age in full years", reference=CALENDAR, inputs=["birth_ymd"])
def age(x, p):
    on = p.date
    before_birthday = on.month * 100 + on.day < x.birth_ymd % 10_000
    return on.year - x.birth_ymd // 10_000 - before_birthday


@rules.formula(PERSON, "int", "Age in full months", reference=CALENDAR, inputs=["birth_year", "birth_month", "birth_day"])
def age_months(x, p):
    on = p.date
    return (on.year - x.birth_year) * 12 + on.month - x.birth_month - (on.day < x.birth_day)


@rules.formula(PERSON, "bool", "Born in the month of the calculation", reference=CALENDAR,
               inputs=["birth_year", "birth_month"])
def born_this_month(x, p):
    return (x.birth_year == p.date.year) & (x.birth_month == p.date.month)


@rules.formula(PERSON, "bool", "Minor (under 18)", reference=SOCIAL_CODE.assumed("minors, under 18", CODE_NOT_FOUND), inputs=["age"])
def minor(x, p):
    return x.age < 18


@rules.formula(PERSON, "bool", "Has reached pension age", reference=SOCIAL_CODE.at("art. 207 (pension age)"),
               inputs=["age", "sex"], params=["pension_age.men", "pension_age.women"])
def pension_age(x, p):
    return x.age >= np.where(x.sex == "M", p["pension_age.men"], p["pension_age.women"])


@rules.formula(PERSON, "bool", "Disability group 1 or 2", reference=ART_177, inputs=["disability_group"])
def severe_disability(x, p):
    return np.isin(x.disability_group, ["1", "2"])


@rules.formula(PERSON, "bool", "Able to work: 18 to pension age, not disabled of group 1 or 2",
               reference=SOCIAL_CODE.assumed("targeted social assistance: able-bodied members", CODE_NOT_FOUND), inputs=["age", "pension_age", "severe_disability"])
def able_bodied(x, p):
    return (x.age >= 18) & ~x.pension_age & ~x.severe_disability


@rules.formula(PERSON, "bool", "Counts as a child for the large-family benefit (minor, or full-time student under 23)",
               reference=SOCIAL_CODE.assumed("benefit to large families: children counted", CODE_NOT_FOUND), inputs=["age", "student", "role"],
               params=["large_family.student_age_limit"])
def dependent_child(x, p):
    is_child = x.role == "child"
    return is_child & ((x.age < 18) | (x.student & (x.age < p["large_family.student_age_limit"])))


@rules.formula(PERSON, "bool", "Disabled child (under 18 with a disability)", reference=ART_177,
               inputs=["age", "disability_group"], params=["disability.child_age_limit"])
def disabled_child(x, p):
    return (x.age < p["disability.child_age_limit"]) & (x.disability_group != "")


@rules.formula(PERSON, "bool", "Child under 3", reference=SOCIAL_CODE.assumed("unconditional TSA: a child under 3", CODE_NOT_FOUND), inputs=["age"], params=["tsa.carer_child_age"])
def child_under_3(x, p):
    return x.age < p["tsa.carer_child_age"]


@rules.formula(PERSON, "bool", "Adult with group 1 disability", reference=ART_177,
               inputs=["age", "disability_group"])
def group_1_adult(x, p):
    return (x.age >= 18) & (x.disability_group == "1")


@rules.formula(PERSON, "bool", "Mother (a woman who has given birth)", reference=SOCIAL_CODE.assumed("mothers who gave birth to and raised children", CODE_NOT_FOUND), inputs=["sex", "children_born"])
def mother(x, p):
    return (x.sex == "F") & (x.children_born > 0)


@rules.formula(PERSON, "bool", "Member of the household", reference=CALENDAR)
def member(x, p):
    return np.ones(x.n, dtype=bool)


rules.aggregate("household_size", "member", "count", "Members of the household", dtype="int")
rules.aggregate("able_bodied_members", "able_bodied", "count", "Able-bodied members", dtype="int")
rules.aggregate("dependent_children", "dependent_child", "count", "Children for the large-family benefit", dtype="int")
rules.aggregate("disabled_children", "disabled_child", "count", "Disabled children", dtype="int")
rules.aggregate("children_under_3", "child_under_3", "count", "Children under 3", dtype="int")
rules.aggregate("group_1_adults", "group_1_adult", "count", "Adults with group 1 disability", dtype="int")
rules.aggregate("pensioners", "pension_age", "count", "Members of pension age", dtype="int")
rules.aggregate("newborns", "born_this_month", "count", "Children born this month", dtype="int")
rules.aggregate("mother_children_born", "children_born", "max", "Children born to the household's mother", dtype="int")
