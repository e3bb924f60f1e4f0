"""TSA, housing assistance, disability benefit and large-family benefit as OpenFisca variables.

Each variable mirrors the Komek variable of the same name (src/komek/kz/standard/*.py): same
inputs, same arithmetic in the same order, same rounding, so amounts agree to the tenge.
Everything is computed for a month as of its last day (`period.stop`), as Komek computes a month.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit, Instant
from openfisca_core.variables import Variable

from .entities import Household, Person

INCOME_KINDS = ("wage", "self_employed", "business", "pension", "benefit", "alimony", "rent", "other", "tsa",
                "housing_assistance", "burial_benefit", "child_disability")


class KzVariable(Variable):
    """A monthly variable. Floats are float64, not OpenFisca's default float32: money kept to the
    tiyn over sums of incomes needs the 53-bit mantissa Komek computes with."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.definition_period = DateUnit.MONTH    # OpenFisca reads a variable's own attributes only

    def __init__(self, baseline_variable=None) -> None:
        super().__init__(baseline_variable)
        if self.value_type is float:
            self.dtype = np.float64


def round_money(values, rule: str):
    """Komek's rounding (komek.engine.simulation.round_money): float noise snapped to 1e-4 of the
    unit first, then half up (tenge, tiyn) or up (tenge_up)."""
    unit = 100.0 if rule == "tiyn" else 1.0
    v = np.round(np.asarray(values, dtype=float) * unit, 4)
    return (np.ceil(v) if rule == "tenge_up" else np.floor(v + 0.5)) / unit


# Codes: each member's value is the registry code it stands for.
class Sex(Enum):
    UNKNOWN = ""
    MALE = "M"
    FEMALE = "F"


class DisabilityGroup(Enum):
    NONE = ""
    GROUP_1 = "1"
    GROUP_2 = "2"
    GROUP_3 = "3"
    CHILD = "child"


class DisabilityCause(Enum):
    NONE = ""
    GENERAL = "general"
    CHILDHOOD = "childhood"
    WORK_INJURY = "work_injury"
    OCCUPATIONAL = "occupational"
    MILITARY = "military"
    OTHER = "other"


class Tenure(Enum):
    OWN = "own"
    STATE_RENT = "state_rent"
    PRIVATE_RENT = "private_rent"
    OTHER = "other"


# ---------------------------------------------------------------- inputs

class birth_date(KzVariable):
    value_type = dt.date
    entity = Person
    label = "Date of birth"


class sex(KzVariable):
    value_type = Enum
    possible_values = Sex
    default_value = Sex.UNKNOWN
    entity = Person
    label = "Sex"


class disability_group(KzVariable):
    value_type = Enum
    possible_values = DisabilityGroup
    default_value = DisabilityGroup.NONE
    entity = Person
    label = "Disability group (1, 2, 3, child) or none"


class disability_cause(KzVariable):
    value_type = Enum
    possible_values = DisabilityCause
    default_value = DisabilityCause.NONE
    entity = Person
    label = "Cause of disability"


class student(KzVariable):
    value_type = bool
    entity = Person
    label = "Full-time student"


INCOME_VARIABLES = [type(f"income_{kind}", (KzVariable,), {
    "value_type": float, "entity": Person, "label": f"Income: {kind.replace('_', ' ')}, monthly average over the reference quarter",
    "__module__": __name__}) for kind in INCOME_KINDS]


class region_code(KzVariable):
    value_type = str
    entity = Household
    label = "Region of registration (KATO)"


class area_m2(KzVariable):
    value_type = float
    entity = Household
    label = "Living area, m2"


class tenure(KzVariable):
    value_type = Enum
    possible_values = Tenure
    default_value = Tenure.OWN
    entity = Household
    label = "Tenure"


class only_home(KzVariable):
    value_type = bool
    entity = Household
    label = "The family's only home, with permanent registration"


class utilities(KzVariable):
    value_type = float
    entity = Household
    label = "Utilities, monthly"


class maintenance(KzVariable):
    value_type = float
    entity = Household
    label = "Maintenance and capital repair fees, monthly"


class communication(KzVariable):
    value_type = float
    entity = Household
    label = "Telephone subscription, monthly"


class rent(KzVariable):
    value_type = float
    entity = Household
    label = "Rent of state housing, monthly"


class social_contract(KzVariable):
    value_type = bool
    default_value = True
    entity = Household
    label = "Able-bodied members take part in employment measures (social contract)"


# ---------------------------------------------------------------- demography

class age(KzVariable):
    value_type = int
    entity = Person
    label = "Age in full years on the last day of the month"

    def formula(person, period, parameters):
        d = person("birth_date", period)
        y = d.astype("datetime64[Y]").astype(int) + 1970
        m = d.astype("datetime64[M]").astype(int) % 12 + 1
        day = (d - d.astype("datetime64[M]")).astype(int) + 1
        on = period.stop.date
        return on.year - y - ((on.month < m) | ((on.month == m) & (on.day < day)))


class pension_age(KzVariable):
    value_type = bool
    entity = Person
    label = "Has reached pension age"

    def formula(person, period, parameters):
        p = parameters(period.stop).pension_age
        return person("age", period) >= np.where(person("sex", period) == Sex.MALE, p.men, p.women)


class severe_disability(KzVariable):
    value_type = bool
    entity = Person
    label = "Disability group 1 or 2"

    def formula(person, period, parameters):
        group = person("disability_group", period)
        return (group == DisabilityGroup.GROUP_1) | (group == DisabilityGroup.GROUP_2)


class able_bodied(KzVariable):
    value_type = bool
    entity = Person
    label = "Able to work: 18 to pension age, not disabled of group 1 or 2"

    def formula(person, period, parameters):
        return (person("age", period) >= 18) & ~person("pension_age", period) & ~person("severe_disability", period)


class dependent_child(KzVariable):
    value_type = bool
    entity = Person
    label = "Counts as a child for the large-family benefit (minor, or full-time student under 23)"

    def formula(person, period, parameters):
        limit = parameters(period.stop).large_family.student_age_limit
        a = person("age", period)
        return person.has_role(Household.CHILD) & ((a < 18) | (person("student", period) & (a < limit)))


class disabled(KzVariable):
    value_type = bool
    entity = Person
    label = "Has a disability group"

    def formula(person, period, parameters):
        return person("disability_group", period) != DisabilityGroup.NONE


class disabled_child(KzVariable):
    value_type = bool
    entity = Person
    label = "Disabled child (under 18 with a disability)"

    def formula(person, period, parameters):
        return (person("age", period) < parameters(period.stop).disability.child_age_limit) & person("disabled", period)


class child_under_3(KzVariable):
    value_type = bool
    entity = Person
    label = "Child under 3"

    def formula(person, period, parameters):
        return person("age", period) < parameters(period.stop).tsa.carer_child_age


class household_size(KzVariable):
    value_type = int
    entity = Household
    label = "Members of the household"

    def formula(household, period, parameters):
        return household.nb_persons()


class able_bodied_members(KzVariable):
    value_type = int
    entity = Household
    label = "Able-bodied members"

    def formula(household, period, parameters):
        return household.sum(household.members("able_bodied", period))


class dependent_children(KzVariable):
    value_type = int
    entity = Household
    label = "Children for the large-family benefit"

    def formula(household, period, parameters):
        return household.sum(household.members("dependent_child", period))


class disabled_children(KzVariable):
    value_type = int
    entity = Household
    label = "Disabled children"

    def formula(household, period, parameters):
        return household.sum(household.members("disabled_child", period))


class children_under_3(KzVariable):
    value_type = int
    entity = Household
    label = "Children under 3"

    def formula(household, period, parameters):
        return household.sum(household.members("child_under_3", period))


class pensioners(KzVariable):
    value_type = int
    entity = Household
    label = "Members of pension age"

    def formula(household, period, parameters):
        return household.sum(household.members("pension_age", period))


class severe_disabled_members(KzVariable):
    value_type = int
    entity = Household
    label = "Members disabled of group 1 or 2"

    def formula(household, period, parameters):
        return household.sum(household.members("severe_disability", period))


# ---------------------------------------------------------------- income

def _counted(person, period, counted) -> np.ndarray:
    total = np.zeros(person.count)
    for kind in INCOME_KINDS:
        if counted[kind]:
            total = total + person(f"income_{kind}", period)
    return total


class tsa_income(KzVariable):
    value_type = float
    entity = Person
    label = "Income counted for targeted social assistance"

    def formula(person, period, parameters):
        return _counted(person, period, parameters(period.stop).tsa.counted_income_kinds)


class housing_income(KzVariable):
    value_type = float
    entity = Person
    label = "Income counted for housing assistance"

    def formula(person, period, parameters):
        return _counted(person, period, parameters(period.stop).housing_assistance.counted_income_kinds)


class household_tsa_income(KzVariable):
    value_type = float
    entity = Household
    label = "Family income counted for TSA, monthly"

    def formula(household, period, parameters):
        return household.sum(household.members("tsa_income", period))


class household_housing_income(KzVariable):
    value_type = float
    entity = Household
    label = "Family income counted for housing assistance, monthly"

    def formula(household, period, parameters):
        return household.sum(household.members("housing_income", period))


class per_capita_income(KzVariable):
    value_type = float
    entity = Household
    label = "Per-capita monthly income"

    def formula(household, period, parameters):
        return household("household_tsa_income", period) / np.maximum(household("household_size", period), 1)


# ---------------------------------------------------------------- targeted social assistance

def previous_quarter_start(on: Instant) -> Instant:
    year, month = on.year, 3 * ((on.month - 1) // 3) + 1
    return Instant((year - 1, 10, 1)) if month == 1 else Instant((year, month - 3, 1))


class tsa_poverty_line(KzVariable):
    value_type = float
    entity = Household
    label = "Poverty line: the larger of a share of the median income and a share of the subsistence minimum"

    def formula(household, period, parameters):
        # Shares in force on the date; the minimum and the median of the quarter before its quarter.
        p = parameters(period.stop).tsa.poverty_line
        before = parameters(previous_quarter_start(period.stop)).tsa
        region = household("region_code", period)
        floor = p.subsistence_share * before.statistical_subsistence_minimum[region]
        if p.median_share == 0:
            return round_money(floor, "tiyn")
        return round_money(np.maximum(p.median_share * before.median_income[region], floor), "tiyn")


class tsa_unconditional(KzVariable):
    value_type = bool
    entity = Household
    label = "No able-bodied member, or the only one cares for a young, disabled or elderly member"

    def formula(household, period, parameters):
        cares = (household("children_under_3", period) + household("disabled_children", period)
                 + household("severe_disabled_members", period) + household("pensioners", period)) > 0
        able = household("able_bodied_members", period)
        return (able == 0) | ((able == 1) & cares)


class tsa_without_social_contract(KzVariable):
    value_type = bool
    entity = Household
    label = "Conditional TSA family that has not signed a social contract"

    def formula(household, period, parameters):
        return ~household("tsa_unconditional", period) & ~household("social_contract", period)


class tsa_eligible(KzVariable):
    value_type = bool
    entity = Household
    label = "Per-capita income below the poverty line"

    def formula(household, period, parameters):
        return household("per_capita_income", period) < household("tsa_poverty_line", period)


class tsa(KzVariable):
    value_type = float
    entity = Household
    label = "Targeted social assistance, monthly (conditional assistance requires a social contract)"

    def formula(household, period, parameters):
        amount = (household("tsa_poverty_line", period) - household("per_capita_income", period)) \
            * household("household_size", period)
        paid = household("tsa_eligible", period) & ~household("tsa_without_social_contract", period)
        return np.where(paid, round_money(amount, "tenge"), 0)


# ---------------------------------------------------------------- housing assistance

class housing_eligible(KzVariable):
    value_type = bool
    entity = Household
    label = "The family's only home with permanent registration, or state housing"

    def formula(household, period, parameters):
        t = household("tenure", period)
        return ((t == Tenure.OWN) & household("only_home", period)) | (t == Tenure.STATE_RENT)


class norm_area(KzVariable):
    value_type = float
    entity = Household
    label = "Living area within the social norm, m2"

    def formula(household, period, parameters):
        p = parameters(period.stop).housing_assistance
        size = household("household_size", period)
        norm = np.where(size == 1, p.area_norm_single, p.area_norm_per_person * size)
        return np.minimum(norm, household("area_m2", period))


class housing_costs(KzVariable):
    value_type = float
    entity = Household
    label = "Housing costs within the norms, monthly"

    def formula(household, period, parameters):
        p = parameters(period.stop).housing_assistance
        area, norm = household("area_m2", period), household("norm_area", period)
        within = np.where(area > 0, norm / np.where(area > 0, area, 1), 0)
        upkeep = np.minimum(household("maintenance", period) * within, p.maintenance_per_m2 * norm)
        phone = np.minimum(household("communication", period), p.communication_cap)
        return round_money((household("utilities", period) + household("rent", period)) * within + upkeep + phone, "tiyn")


class housing_assistance(KzVariable):
    value_type = float
    entity = Household
    label = "Housing assistance, monthly"

    def formula(household, period, parameters):
        share = parameters(period.stop).housing_assistance.max_income_share[household("region_code", period)]
        amount = np.maximum(household("housing_costs", period) - share * household("household_housing_income", period), 0)
        return np.where(household("housing_eligible", period), round_money(amount, "tenge"), 0)


# ---------------------------------------------------------------- disability benefit

class disabled_under_7(KzVariable):
    value_type = bool
    entity = Person
    label = "Disabled child under 7"

    def formula(person, period, parameters):
        return person("disabled", period) & (person("age", period) < parameters(period.stop).disability.young_child_age)


class disabled_since_childhood(KzVariable):
    value_type = bool
    entity = Person
    label = "Disabled child aged 7-18 or disabled since childhood"

    def formula(person, period, parameters):
        young = person("age", period) < parameters(period.stop).disability.child_age_limit
        return person("disabled", period) & (young | (person("disability_cause", period) == DisabilityCause.CHILDHOOD))


class disability_benefit(KzVariable):
    value_type = float
    entity = Person
    label = "Disability benefit, monthly: general scale by group; under 7 and since childhood apart; rounded up"

    def formula(person, period, parameters):
        p, pm = parameters(period.stop).disability, parameters(period.stop).subsistence_minimum
        group = person("disability_group", period)
        number = np.select([group == DisabilityGroup.GROUP_1, group == DisabilityGroup.GROUP_2], [1, 2], 3)
        amount = np.select(
            [person("disabled_under_7", period), person("disabled_since_childhood", period)],
            [np.full(person.count, p.child_under_7 * pm), p.childhood.calc(number) * pm],
            p.general.calc(number) * pm)
        return np.where(person("disabled", period), round_money(amount, "tenge_up"), 0)


# ---------------------------------------------------------------- large-family benefit

class large_family(KzVariable):
    value_type = bool
    entity = Household
    label = "Four or more children living together"

    def formula(household, period, parameters):
        return household("dependent_children", period) >= 4


class eight_or_more_children(KzVariable):
    value_type = bool
    entity = Household
    label = "Eight or more children"

    def formula(household, period, parameters):
        return household("dependent_children", period) >= 8


class large_family_benefit(KzVariable):
    value_type = float
    entity = Household
    label = "Large-family benefit, monthly: scale for 4-7 children, an amount per child from 8"

    def formula(household, period, parameters):
        p, mci = parameters(period.stop).large_family, parameters(period.stop).mci
        n = household("dependent_children", period)
        amount = np.where(household("eight_or_more_children", period),
                          n * p.per_child_from_8_mci * mci, p.by_children_mci.calc(n) * mci)
        return np.where(household("large_family", period), round_money(amount, "tenge"), 0)


VARIABLES = INCOME_VARIABLES + [v for v in list(globals().values())
                                if isinstance(v, type) and issubclass(v, Variable) and "value_type" in vars(v)]
