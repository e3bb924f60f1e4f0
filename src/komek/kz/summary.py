"""The summary first: for each support measure, one or two plain sentences a family or a court
reads before the tree of values: the amount, the comparison that decided it, the article, and for
a measure at zero the condition that failed.

The sentences are templates in message catalogs (`locale/<lang>/LC_MESSAGES/komek.po`; the
English text is the message id), filled with the engine's own values and parameters for the
household, formatted in the language's locale by Babel. Nothing is recomputed here: a sentence
shows what the simulation holds. A value given in the situation is said to be given, and by whom.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from string import Formatter

import numpy as np
from babel import Locale
from babel.numbers import parse_pattern

from komek.engine import Simulation
from komek.engine.explain import applied_exception, parameter_value
from komek.kz.catalogs import N_, translations
from komek.kz.citations import cite

MEASURES = {
    "tsa": N_("Targeted social assistance"),
    "tsa_child_supplement": N_("TSA supplement for children aged 1 to 6"),
    "housing_assistance": N_("Housing assistance"),
    "disability_benefit": N_("Disability benefit"),
    "disabled_child_carer_benefit": N_("Benefit to a parent raising a disabled child"),
    "carer_benefit": N_("Benefit to a carer of a group 1 disabled person"),
    "birth_benefit": N_("Birth benefit"),
    "childcare_benefit": N_("Childcare benefit to 1.5 years"),
    "large_family_benefit": N_("Large-family benefit"),
    "mother_award_allowance": N_("Allowance to mothers awarded “Kumis alka” or “Altyn alka”"),
    "base_pension": N_("Base pension"),
    "uapf_pension": N_("Payment from pension savings"),
    "uapf_lump_sum": N_("Pension savings paid as a lump sum"),
}
# The contributions a reform's budget also shows (revenue, not support), by the same names.
CONTRIBUTIONS = {
    "opv": N_("Mandatory pension contribution"),
    "opvr": N_("Employer's mandatory pension contribution"),
    "social_contribution": N_("Social contribution"),
    "vosms": N_("Employee contribution to compulsory health insurance"),
    "oosms": N_("Employer contribution to compulsory health insurance"),
}
# The values a sentence turns on, named for the note that says one was given.
TERMS = {
    "per_capita_income": N_("Per-capita income"),
    "tsa_poverty_line": N_("Poverty line"),
    "household_size": N_("Members of the household"),
    "tsa_eligible": N_("Per-capita income below the poverty line"),
    "tsa_recipient": N_("Receives TSA"),
    "supplement_children": N_("Children aged 1 to 6"),
    "housing_costs": N_("Housing costs within the norms"),
    "household_housing_income": N_("Family income counted for housing assistance"),
    "housing_eligible": N_("Eligible home"),
    "dependent_children": N_("Children for the large-family benefit"),
    "disabled_children": N_("Disabled children"),
    "group_1_adults": N_("Adults with group 1 disability"),
    "newborns": N_("Children born this month"),
    "childcare_children": N_("Children under 1.5 years"),
    "insured_parents": N_("Parents insured through work"),
    "disability_group": N_("Disability group"),
    "mother_award_held": N_("Mother award"),
    "pension_age": N_("Pension age"),
}
GROUPS = {"1": N_("group 1"), "2": N_("group 2"), "3": N_("group 3"), "child": N_("a disabled child")}
EXCEPTIONS = {"disabled_under_7": N_("a child under 7"),
              "disabled_since_childhood": N_("a child aged 7 to 18 or disabled since childhood")}
AWARDS = {"kumis_alka": N_("“Kumis alka”"), "altyn_alka": N_("“Altyn alka”")}


class Term:
    """Words from the catalog inside a sentence (a disability group, an award), joined by commas."""

    def __init__(self, *messages: str):
        self.message, self.messages = messages[0], messages


class Citation(str):
    """A reference inside a sentence: cited as the sentence's language cites it."""


class Percent(float):
    """A share shown as a percentage in the locale."""


GIVEN_MEASURE = N_("{measure}: {amount} tenge, a value given, not computed ({by}).")
GIVEN_NOTE = N_("{term}: a value given, not computed ({by}).")
PLAIN = N_("{measure}: {amount} tenge ({reference}).")


class _Row:
    """One household (and, for a person's measure, one member) as the sentences read it."""

    def __init__(self, sim: Simulation, group: int, row: int | None):
        self.sim, self.group, self.row = sim, group, row

    def __getitem__(self, name: str):
        values = self.sim.calculate(name)
        person = self.sim.variable(name).entity.is_person
        return values[self.row if person else self.group]


# Each measure's sentence: (template, values, the variables it turns on), from the simulation.
Sentence = tuple[str, dict, list[str]]


def _tsa(r: _Row, amount: float, reference: str) -> Sentence:
    values = {"income": r["per_capita_income"], "line": r["tsa_poverty_line"], "members": r["household_size"]}
    on = ["per_capita_income", "tsa_poverty_line"]
    if amount > 0:
        return (N_("Per-capita income {income} tenge is below the poverty line {line} tenge, so TSA is "
                   "({line} - {income}) × {members} = {amount} tenge a month ({reference})."), values, on + ["household_size"])
    if not r["tsa_eligible"]:
        return (N_("Per-capita income {income} tenge is not below the poverty line {line} tenge, so there is "
                   "no TSA ({reference})."), values, on)
    if r["tsa_without_social_contract"]:
        return (N_("Per-capita income {income} tenge is below the poverty line {line} tenge, but the family has "
                   "able-bodied members and has not signed a social contract, so there is no TSA ({reference})."), values, on)
    return PLAIN, {}, []


def _child_supplement(r: _Row, amount: float, reference: str) -> Sentence:
    values = {"children": r["supplement_children"]}
    if amount > 0:
        return (N_("Children aged 1 to 6 in a family receiving TSA: {children}, so the child supplement is "
                   "{amount} tenge a month ({reference})."), values, ["tsa_recipient", "supplement_children"])
    if not r["tsa_recipient"]:
        return N_("The family does not receive TSA, so there is no child supplement ({reference})."), values, ["tsa_recipient"]
    if not values["children"]:
        return (N_("The family receives TSA but has no child aged 1 to 6, so there is no child supplement "
                   "({reference})."), values, ["supplement_children"])
    return PLAIN, {}, []


def _housing(r: _Row, amount: float, reference: str) -> Sentence:
    share = parameter_value(r.sim, "housing_assistance.max_income_share", r.group)
    values = {"costs": r["housing_costs"], "income": r["household_housing_income"], "share": Percent(share)}
    on = ["housing_costs", "household_housing_income"]
    if amount > 0:
        return (N_("Housing costs within the norms {costs} tenge exceed {share} of the family's income {income} tenge, "
                   "so housing assistance is {costs} - {share} × {income} = {amount} tenge a month ({reference})."), values, on)
    if not r["housing_eligible"]:
        return (N_("The home is neither the family's only home with permanent registration nor state housing, so "
                   "there is no housing assistance ({reference})."), values, ["housing_eligible"])
    return (N_("Housing costs within the norms {costs} tenge do not exceed {share} of the family's income {income} "
               "tenge, so there is no housing assistance ({reference})."), values, on)


def _disability(r: _Row, amount: float, reference: str) -> Sentence:
    if amount > 0:
        values = {"group": Term(GROUPS.get(str(r["disability_group"]), str(r["disability_group"])))}
        e = applied_exception(r.sim, r.sim.variable("disability_benefit"), r.row)
        if e is not None and e.when in EXCEPTIONS:
            values["group"] = Term(values["group"].message, EXCEPTIONS[e.when])
        return (N_("Member {member} has a disability ({group}), so the disability benefit is {amount} tenge a month "
                   "({reference})."), values, ["disability_group"])
    return N_("No member has a disability group, so there is no disability benefit ({reference})."), {}, []


def _counted(paid: str, none: str, variable: str, key: str) -> Callable[[_Row, float, str], Sentence]:
    """A household measure that pays by a count of members: the count, and none without them."""
    def counted(r: _Row, amount: float, reference: str) -> Sentence:
        return (paid if amount > 0 else none), {key: r[variable]}, [variable]
    return counted


def _childcare(r: _Row, amount: float, reference: str) -> Sentence:
    values = {"children": r["childcare_children"]}
    if amount > 0:
        return (N_("Children under 1.5 years: {children}, and no parent is insured through work, so the childcare "
                   "benefit is {amount} tenge a month ({reference})."), values, ["childcare_children", "insured_parents"])
    if not values["children"]:
        return N_("No child is under 1.5 years, so there is no childcare benefit ({reference})."), values, ["childcare_children"]
    if r["insured_parents"]:
        return (N_("A parent is insured through work, so there is no childcare benefit for parents not insured "
                   "({reference})."), values, ["insured_parents"])
    return PLAIN, {}, []


def _award(r: _Row, amount: float, reference: str) -> Sentence:
    if amount > 0:
        held = str(r["mother_award_held"])
        return (N_("Member {member} holds the {award} award, so the allowance is {amount} tenge a month ({reference})."),
                {"award": Term(AWARDS.get(held, held))}, ["mother_award_held"])
    return (N_("No member holds the “Kumis alka” or “Altyn alka” award, so there is no allowance ({reference})."), {}, [])


def _person(paid: str, none: str) -> Callable[[_Row, float, str], Sentence]:
    """A person's measure decided by its eligibility: paid to a member, or none in the family."""
    def person(r: _Row, amount: float, reference: str) -> Sentence:
        return (paid if amount > 0 else none), {}, []
    return person


SENTENCES: dict[str, Callable[[_Row, float, str], Sentence]] = {
    "tsa": _tsa,
    "tsa_child_supplement": _child_supplement,
    "housing_assistance": _housing,
    "disability_benefit": _disability,
    "disabled_child_carer_benefit": _counted(
        N_("Disabled children in the family: {children}, so the benefit to the parent raising them is {amount} tenge "
           "a month ({reference})."),
        N_("No child in the family is disabled, so there is no benefit for raising a disabled child ({reference})."),
        "disabled_children", "children"),
    "carer_benefit": _counted(
        N_("Adults with group 1 disability cared for in the family: {adults}, so the carer's benefit is {amount} "
           "tenge a month ({reference})."),
        N_("No adult with group 1 disability has someone in the family to care for them, so there is no carer's "
           "benefit ({reference})."),
        "group_1_adults", "adults"),
    "birth_benefit": _counted(
        N_("Children born this month: {children}, so the one-off birth benefit is {amount} tenge ({reference})."),
        N_("No child was born this month, so there is no birth benefit ({reference})."),
        "newborns", "children"),
    "childcare_benefit": _childcare,
    "large_family_benefit": _counted(
        N_("Children in the family counted for the benefit: {children}, four or more, so the large-family benefit "
           "is {amount} tenge a month ({reference})."),
        N_("Children in the family counted for the benefit: {children}, fewer than four, so there is no "
           "large-family benefit ({reference})."),
        "dependent_children", "children"),
    "mother_award_allowance": _award,
    "base_pension": _person(
        N_("Member {member} has reached pension age, so the base pension is {amount} tenge a month ({reference})."),
        N_("No member has reached pension age, so there is no base pension ({reference}).")),
    "uapf_pension": _person(
        N_("Member {member} has reached pension age with savings above the lump-sum threshold, so the payment from "
           "pension savings is {amount} tenge a month ({reference})."),
        N_("No member of pension age has savings above the lump-sum threshold, so there is no monthly payment from "
           "pension savings ({reference}).")),
    "uapf_lump_sum": _person(
        N_("Member {member} has reached pension age with savings up to the lump-sum threshold, so they are paid at "
           "once: {amount} tenge ({reference})."),
        N_("No member of pension age has savings to be paid at once, so there is no lump sum ({reference}).")),
}


MONEY, PERCENT = parse_pattern("#,##0.##"), parse_pattern("#,##0.##%")   # to the tiyn; shares as 7% or 7.5%


class Words:
    """A sentence's words and numbers in one language."""

    def __init__(self, lang: str):
        self.lang, self._t, self._locale = lang, translations(lang), Locale.parse(lang)

    def __call__(self, message: str) -> str:
        return self._t.gettext(message)

    def number(self, v) -> str:
        if isinstance(v, Term):
            return ", ".join(self(m) for m in v.messages)
        if isinstance(v, Citation):
            return cite(v, self.lang)
        if isinstance(v, str):
            return v
        if isinstance(v, Percent):
            return PERCENT.apply(Decimal(repr(float(v))), self._locale)
        # Money is the engine's value to the tiyn; counts show as whole numbers.
        return MONEY.apply(Decimal(f"{float(v):.2f}"), self._locale)

    def fill(self, template: str, values: dict) -> str:
        text = self(template)
        return text.format(**{k: self.number(values[k]) for k in _fields(text)})


@cache
def _fields(template: str) -> tuple[str, ...]:
    """The placeholders a template uses: only those are formatted."""
    return tuple(dict.fromkeys(f for _, f, _, _ in Formatter().parse(template) if f))


@cache
def _words(lang: str) -> Words:
    return Words(lang)


def _given_notes(words: Words, sim: Simulation, on: list[str], group: int, row: int | None) -> list[str]:
    notes = []
    for name in on:
        by = sim.given_by(name, row if sim.variable(name).entity.is_person else group)
        if by is not None:
            notes.append(words.fill(GIVEN_NOTE, {"term": Term(TERMS.get(name, name)), "by": by}))
    return notes


def sentence(sim: Simulation, measure: str, group: int, row: int | None, member: str | None,
             lang: str) -> tuple[str, str]:
    """The summary of one measure for a household, or for one member paid a person's measure
    (`row`): the sentence, then a note for each value it turns on that was given; and the
    reference it cites (the exception's, when one decided the amount)."""
    words, var = _words(lang), sim.variable(measure)
    index = row if var.entity.is_person else group          # None: a person's measure no member is paid
    amount = 0.0 if index is None else float(sim.calculate(measure)[index])
    base = {"measure": Term(MEASURES.get(measure, var.label)), "amount": amount, "member": member or ""}
    if index is not None and (by := sim.given_by(measure, index)) is not None:
        return words.fill(GIVEN_MEASURE, {**base, "by": by}), var.reference
    e = None if index is None else applied_exception(sim, var, index)
    reference = e.reference if e is not None else var.reference
    template, values, on = SENTENCES[measure](_Row(sim, group, row), amount, reference) if measure in SENTENCES \
        else (PLAIN, {}, [])
    text = words.fill(template, {**base, **values, "reference": Citation(reference)})
    return " ".join([text, *_given_notes(words, sim, on, group, row)]), reference


def summary(sim: Simulation, measures: list[str], group: int, member_ids: list[str], lang: str = "en") -> list[dict]:
    """For each measure, the sentences of the household: one per member paid for a person's
    measure, one for the household otherwise (at zero, the condition that failed). The measures
    that pay come first, in the order given."""
    translations(lang)
    members = np.flatnonzero(sim.group_of == group)
    out = []
    for name in measures:
        values, person = sim.calculate(name), sim.variable(name).entity.is_person
        rows = [(member_ids[i], int(r)) for i, r in enumerate(members) if values[r] != 0] if person else []
        for member, row in rows or [(None, None)]:
            text, reference = sentence(sim, name, group, row, member, lang)
            amount = values[row] if row is not None else (0 if person else values[group])
            out.append({"measure": name, "member": member, "amount": round(float(amount), 2), "text": text,
                        "reference": reference})
    return sorted(out, key=lambda s: s["amount"] == 0)


def to_text(sentences: list[dict]) -> str:
    """The summary as lines to read before the tree."""
    return "\n".join(f"* {s['text']}" for s in sentences)
