"""What one household is entitled to, and why: a situation (JSON) in, amounts and explanation out.

The situation is validated whole before anything is computed: an unknown field, a wrong type,
an impossible date or a negative amount is an error naming its JSON path.

A situation may give the value of a computed variable (`given`, on the household for its
variables and on a member for a person's): the rules take it instead of the formula, and the
explanation says it was given and by whom.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, ValidationError, field_validator, model_validator

from komek.engine import RuleSet, Simulation
from komek.engine.explain import explain, to_text
from komek.errors import ParameterError, SituationError
from komek.kz import contract, regions, summary
from komek.kz.standard import INCOME_KINDS, ROLES, benefits, rules_version, standard
from komek.services.sources import warnings_for

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
# The situation's codes are the registry contract's: one list of each.
IncomeKind = Literal[INCOME_KINDS]
Role = Literal[ROLES]
Sex = Literal[contract().codes("persons", "sex")]
Tenure = Literal[contract().codes("housing", "tenure")]
DisabilityGroup = Literal[contract().codes("disability", "group")]
DisabilityCause = Literal[contract().codes("disability", "cause")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Given(Strict):
    """A computed variable's value taken as it is (a per-capita income proved by documents, a
    poverty line for a what-if), with who or what it comes from."""
    # Left to right, strict first: true stays yes, "0123" stays text, and only a JSON number is a number.
    value: StrictBool | StrictStr | Decimal = Field(
        union_mode="left_to_right",
        description="The value, of the variable's type: money and numbers as numbers (money in tenge, at most 2 "
                    "decimals, not negative), yes/no as true/false, dates as YYYY-MM-DD, text as text")
    given_by: str | None = Field(None, min_length=1, max_length=500,
                                 description="Who or what the value comes from (a document, an office, a what-if): "
                                             "shown in the explanation")


GivenValues = Annotated[dict[str, Given], Field(description="Computed variables given instead of computed, by name "
                                                             "(GET /api/v1/variables lists them)")]


class Costs(Strict):
    utilities: Money = Decimal(0)
    maintenance: Money = Decimal(0)
    communication: Money = Decimal(0)
    rent: Money = Decimal(0)


class Housing(Strict):
    area_m2: float = Field(0, ge=0, le=10_000)
    tenure: Tenure = "own"
    only_home: bool = False
    monthly_costs: Costs = Costs()


class Member(Strict):
    id: str = Field(min_length=1)
    role: Role
    birth_date: dt.date
    sex: Sex
    incomes: dict[IncomeKind, Money] = {}
    disability_group: DisabilityGroup | None = None
    disability_cause: DisabilityCause | None = None
    children_born: int = Field(0, ge=0, le=30)
    student: bool = False
    participation_years: int = Field(0, ge=0, le=80)
    uapf_savings: Money = Decimal(0)
    uapf_years_paid: int = Field(0, ge=0, le=60)
    military: bool = False
    self_employed_regime: Literal["special", "simplified"] = "special"
    mother_award: Literal["kumis_alka", "altyn_alka"] | None = None
    given: GivenValues = {}

    @field_validator("disability_group", mode="before")
    @classmethod
    def _group_as_text(cls, v):
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Household(Strict):
    members: list[Member] = Field(min_length=1, max_length=40)
    housing: Housing = Housing()
    social_contract: bool = True
    given: GivenValues = {}

    @model_validator(mode="after")
    def _one_head_unique_ids(self):
        ids = [m.id for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError("member ids must be unique")
        if sum(m.role == "head" for m in self.members) != 1:
            raise ValueError("exactly one member must have the role head")
        return self


class Situation(Strict):
    date: dt.date
    region_code: str = Field(json_schema_extra={"enum": list(regions())}, description="KATO region code")
    locality_code: str | None = Field(None, pattern=r"^[0-9]{9}$",
                                      description="9-digit KATO locality code, beginning with the region's; when not "
                                                  "given, the region's values apply where a district sets its own")
    parameters: dict[str, float | dict[str, float]] = {}
    household: Household

    @field_validator("region_code")
    @classmethod
    def _known_region(cls, v: str) -> str:
        if v not in regions():
            raise ValueError(f"unknown region code {v!r} (KATO codes: {', '.join(regions())})")
        return v

    @model_validator(mode="after")
    def _locality_in_region(self):
        if self.locality_code is not None and not self.locality_code.startswith(self.region_code):
            raise ValueError(f"locality_code {self.locality_code} does not begin with the region code {self.region_code}")
        return self

    @model_validator(mode="after")
    def _born_before_date(self):
        for i, m in enumerate(self.household.members):
            if m.birth_date > self.date:
                raise ValueError(f"household.members[{i}].birth_date {m.birth_date} is after the date {self.date}")
        return self


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(situation)"


def problems(errors: list[dict], skip: int = 0) -> list[dict]:
    """Pydantic's errors as (JSON path, message) pairs; `skip` leading parts of each location (the API's `body`)."""
    return [{"path": _path(tuple(err["loc"])[skip:]), "message": err["msg"]} for err in errors]


def parse(data: dict | Situation) -> Situation:
    if isinstance(data, Situation):
        situation = data
    else:
        try:
            situation = Situation.model_validate(data)
        except ValidationError as e:
            found = problems(e.errors())
            raise SituationError("invalid situation:\n  " + "\n  ".join(f"{p['path']}: {p['message']}" for p in found),
                                 found) from None
    rules = standard()
    found = [{"path": f"parameters.{n}", "message": "unknown parameter"} for n in situation.parameters if n not in rules.parameters]
    found += _given_problems(situation, rules)
    if found:
        raise SituationError("invalid situation:\n  " + "\n  ".join(f"{p['path']}: {p['message']}" for p in found), found)
    return situation


def _given_problems(situation: Situation, rules: RuleSet) -> list[dict]:
    """Each given value's problem with its JSON path: an unknown name, an input, the other
    entity's variable, or a value not of the variable's type."""
    out = []
    places = [("household.given", situation.household.given, False)]
    places += [(f"household.members[{i}].given", m.given, True) for i, m in enumerate(situation.household.members)]
    for where, given, of_person in places:
        for name, g in given.items():
            path, var = f"{where}.{name}", rules.variables.get(name)
            if var is None:
                out.append({"path": path, "message": "unknown variable (GET /api/v1/variables lists them)"})
            elif var.is_input:
                out.append({"path": path, "message": "an input, not a computed variable: set it in the situation itself"})
            elif var.entity.is_person != of_person:
                out.append({"path": path, "message": "a person's variable: give it on a member" if var.entity.is_person
                            else "a household's variable: give it in household.given"})
            else:
                try:
                    given_value(var.dtype, g.value)
                except ValueError as e:
                    out.append({"path": f"{path}.value", "message": str(e)})
    return out


def given_value(dtype: str, value):
    """A given value as the engine holds it, or ValueError saying what the type wants."""
    number = isinstance(value, Decimal)
    if dtype == "money":
        if not number or value < 0 or value != value.quantize(Decimal("0.01")):
            raise ValueError("money: a number of tenge, not negative, at most 2 decimals")
        return float(value)
    if dtype in ("float", "int"):
        if not number or (dtype == "int" and value != value.to_integral_value()):
            raise ValueError(f"{'a whole number' if dtype == 'int' else 'a number'} is needed")
        return int(value) if dtype == "int" else float(value)
    if dtype == "bool":
        if not isinstance(value, bool):
            raise ValueError("true or false is needed")
        return value
    if not isinstance(value, str):
        raise ValueError("a date YYYY-MM-DD is needed" if dtype == "date" else "text is needed")
    if dtype == "date":
        try:
            return np.datetime64(dt.date.fromisoformat(value), "D")
        except ValueError:
            raise ValueError("a date YYYY-MM-DD is needed") from None
    return value


def _give(sim: Simulation, situation: Situation) -> None:
    """The situation's given values into the simulation, the household's and each member's."""
    by = lambda g: g.given_by or "given in the situation, no source stated"   # noqa: E731
    for name, g in situation.household.given.items():
        sim.give(name, [0], [given_value(sim.variable(name).dtype, g.value)], [by(g)])
    per_person: dict[str, list] = {}
    for i, m in enumerate(situation.household.members):
        for name, g in m.given.items():
            per_person.setdefault(name, []).append((i, given_value(sim.variable(name).dtype, g.value), by(g)))
    for name, rows in per_person.items():
        sim.give(name, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def situation_schema() -> dict:
    schema = Situation.model_json_schema()
    schema["title"] = "Komek household situation"
    return schema


def simulation_for(situation: Situation, rules: RuleSet, trace: bool = False) -> Simulation:
    members = situation.household.members
    money = lambda values: np.array([float(v) for v in values])  # noqa: E731 (exact decimals to float64 tenge)
    persons = {
        "role": np.array([m.role for m in members]),
        "birth_date": np.array([m.birth_date for m in members], dtype="datetime64[D]"),
        "sex": np.array([m.sex for m in members]),
        "disability_group": np.array([m.disability_group or "" for m in members]),
        "disability_cause": np.array([m.disability_cause or "" for m in members]),
        "children_born": np.array([m.children_born for m in members]),
        "student": np.array([m.student for m in members]),
        "participation_years": np.array([m.participation_years for m in members]),
        "uapf_savings": money(m.uapf_savings for m in members),
        "uapf_years_paid": np.array([m.uapf_years_paid for m in members]),
        "military": np.array([m.military for m in members]),
        "self_employed_regime": np.array([m.self_employed_regime for m in members]),
        "mother_award": np.array([m.mother_award or "" for m in members]),
        **{f"income_{k}": money(m.incomes.get(k, 0) for m in members) for k in INCOME_KINDS},
    }
    h, c = situation.household.housing, situation.household.housing.monthly_costs
    groups = {"region_code": np.array([situation.region_code]), "locality_code": np.array([situation.locality_code or ""]),
              "area_m2": np.array([h.area_m2]),
              "tenure": np.array([h.tenure]), "only_home": np.array([h.only_home]),
              "utilities": money([c.utilities]), "maintenance": money([c.maintenance]),
              "communication": money([c.communication]), "rent": money([c.rent]),
              "social_contract": np.array([situation.household.social_contract])}
    params = rules.parameters
    if situation.parameters:
        params = params.with_overrides(situation.parameters, dt.date(1900, 1, 1), "override in the situation")
    sim = Simulation(rules, situation.date, persons, groups, np.zeros(len(members), dtype=int), params, trace=trace)
    _give(sim, situation)
    return sim


def _tenge(v: float) -> float:
    return round(float(v), 2)       # amounts are already rounded by each measure's rule


@contextmanager
def dated():
    """A parameter with no value on the situation's date is a fault of the date, named as such."""
    try:
        yield
    except ParameterError as e:
        raise SituationError(f"date: {e}", [{"path": "date", "message": str(e)}]) from None


def calculate(data: dict | Situation, with_explanation: bool = False, lang: str = "en") -> dict:
    """Every measure's monthly amount for the household and each member (and, if asked, why:
    the summary sentences in `lang`, en, kk or ru, then the tree)."""
    if with_explanation:
        summary.translations(lang)          # an unknown language is refused before anything is computed
    situation = parse(data)
    rules = standard()
    with dated():
        sim = simulation_for(situation, rules, trace=with_explanation)
        measures = rules.measures()
        values = {v.name: sim.calculate(v.name) for v in measures}
    ids = [m.id for m in situation.household.members]
    members = {pid: {v.name: _tenge(values[v.name][i]) for v in measures if v.entity.is_person} for i, pid in enumerate(ids)}
    household = {v.name: _tenge(values[v.name].sum() if v.entity.is_person else values[v.name][0]) for v in measures}
    paid_out = benefits()
    result = {
        "date": situation.date.isoformat(), "region_code": situation.region_code, "rules_version": rules_version(),
        "currency": "KZT", "household": household, "members": members,
        "total_benefits": _tenge(sum(household[n] for n in paid_out)),
        "assumptions": sorted(set(sim.parameters.assumptions(situation.date)) & _used(sim, [v.name for v in measures])),
        "warnings": warnings_for(None, situation.date, sim.warnings),
    }
    if with_explanation:
        names = [v.name for v in measures if household[v.name] != 0] or [v.name for v in measures]
        sentences = summary.summary(sim, paid_out, 0, ids, lang)
        tree = {"summary": sentences, "lang": lang, **explain(sim, names, 0, ids)}
        result["explanation"] = tree
        result["explanation_text"] = summary.to_text(sentences) + "\n\n" + to_text(tree)
    return result


def _used(sim: Simulation, names: list[str]) -> set[str]:
    """The parameters the named measures rest on; a value given for the household stands in for its own."""
    return {p for n in sim.closure(names) if not sim.fully_given(n) for p in sim.variable(n).parameters()}
