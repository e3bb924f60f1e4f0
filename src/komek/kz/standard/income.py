"""The family's income as each measure counts it (monthly averages over the reference quarter).

Which kinds each measure counts is data (../income.yaml): every kind of income its rules name,
counted or not, with its basis. It becomes the parameter `<measure>.counted_income_kinds`, so
explanations show it with its source, a reform may change it, and it is confirmed only when
every basis is."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib.resources import files

import numpy as np
import yaml

from komek.engine.parameters import Dated, Parameter
from komek.engine.references import assumption_reason
from komek.kz.standard import HOUSEHOLD, INCOME_KINDS, PERSON, rules
from komek.kz.standard.law import HOUSING_RULES, SOCIAL_CODE, TSA_INCOME_RULES

ALL_INCOMES = [f"income_{k}" for k in INCOME_KINDS]


@dataclass(frozen=True)
class IncomeEntry:
    income: str        # as the rules name it
    kind: str          # the registry's income kind that carries it
    counted: bool
    basis: str


@dataclass(frozen=True)
class CountedIncome:
    entries: dict[str, tuple[IncomeEntry, ...]]    # by measure
    parameters: dict[str, Parameter]               # `<measure>.counted_income_kinds`

    @classmethod
    def load(cls, raw: dict) -> CountedIncome:
        entries, params = {}, {}
        for measure, node in raw.items():
            rows = tuple(IncomeEntry(str(e["income"]), str(e["kind"]), side == "counted", str(e["basis"]))
                         for side in ("counted", "not_counted") for e in node.get(side, []))
            sides: dict[str, set[bool]] = {}
            for e in rows:
                if e.kind not in INCOME_KINDS:
                    raise ValueError(f"income.yaml: {measure}: {e.income!r} is of unknown kind {e.kind!r}")
                sides.setdefault(e.kind, set()).add(e.counted)
            if problems := [k for k in INCOME_KINDS if len(sides.get(k, ())) != 1]:
                raise ValueError(f"income.yaml: {measure}: each income kind must be counted or not, once: {problems}")
            counted = tuple(k for k in INCOME_KINDS if True in sides[k])
            assumed = [e.income for e in rows if assumption_reason(e.basis)]
            left_out = ", ".join(e.income for e in rows if not e.counted) or "nothing"
            source = f"income.yaml, each kind with its basis; not counted: {left_out}"
            name = f"{measure}.counted_income_kinds"
            params[name] = Parameter(name, str(node["label"]), "codes", f"{rules_of(measure)}; income.yaml",
                                     [Dated(dt.date.fromisoformat(str(node["from"])), counted, source, not assumed)])
            entries[measure] = rows
        return cls(entries, params)


def rules_of(measure: str) -> str:
    return {"tsa": TSA_INCOME_RULES.title, "housing_assistance": HOUSING_RULES.title}[measure]


COUNTED_INCOME = CountedIncome.load(yaml.safe_load(files("komek.kz").joinpath("income.yaml").read_text("utf-8")))


def _counted(x, kinds) -> np.ndarray:
    return sum((getattr(x, f"income_{k}") for k in kinds), np.zeros(x.n))


@rules.formula(PERSON, "money", "Income counted for targeted social assistance",
               reference=TSA_INCOME_RULES.at("point 1 (the rules), under Social Code art. 12 subpara. 5)"),
               inputs=ALL_INCOMES, params=["tsa.counted_income_kinds"])
def tsa_income(x, p):
    return _counted(x, p["tsa.counted_income_kinds"])


@rules.formula(PERSON, "money", "Income counted for housing assistance",
               reference=HOUSING_RULES.assumed("rules, the family's total income", "the rules' point was not read"),
               inputs=ALL_INCOMES, params=["housing_assistance.counted_income_kinds"])
def housing_income(x, p):
    return _counted(x, p["housing_assistance.counted_income_kinds"])


@rules.formula(PERSON, "bool", "Insured through work (wage or self-employment income)",
               reference=SOCIAL_CODE.assumed("childcare benefit: parents insured through work", "the article was not found in the texts read"),
               inputs=["income_wage", "income_self_employed"])
def insured(x, p):
    return (x.income_wage > 0) | (x.income_self_employed > 0)


@rules.formula(PERSON, "bool", "Parent (head or spouse) insured through work",
               reference=SOCIAL_CODE.assumed("childcare benefit: parents insured through work", "the article was not found in the texts read"),
               inputs=["insured", "role"])
def insured_parent(x, p):
    return x.insured & np.isin(x.role, ["head", "spouse"])


rules.aggregate("household_tsa_income", "tsa_income", "sum", "Family income counted for TSA, monthly")
rules.aggregate("household_housing_income", "housing_income", "sum", "Family income counted for housing assistance, monthly")
rules.aggregate("insured_parents", "insured_parent", "count", "Parents insured through work", dtype="int")


@rules.formula(HOUSEHOLD, "money", "Per-capita monthly income (income of the previous quarter / 3 / members)",
               reference=SOCIAL_CODE.at("art. 120 para. 4 (per-capita income against the poverty line)"),
               inputs=["household_tsa_income", "household_size"])
def per_capita_income(x, p):
    return x.household_tsa_income / np.maximum(x.household_size, 1)
