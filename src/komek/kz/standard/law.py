"""The acts the standard cites, each with the text read (its edition, date and where), and what
counts as citing an article: `art. N`, `para. N`, `subpara. N)` or an order's `point N`.

A reference whose article or point could not be confirmed says so with its reason
(komek.engine.references.assumed); a test keeps every reference one or the other.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from komek.engine import RuleSet
from komek.engine.references import assumed, assumption_reason

ARTICLE = re.compile(r"\b(?:art|para|subpara|point)\.? ?\d")


def cites_article(reference: str) -> bool:
    """The reference names its article or point, and does not mark it as an assumption."""
    return bool(ARTICLE.search(reference)) and assumption_reason(reference) is None


@dataclass(frozen=True)
class Act:
    title: str
    key: str       # the words every reference to this act contains (case-insensitive)
    read: str      # the text read: edition, date and where; or what stood in for it

    def at(self, where: str) -> str:
        return f"{self.title}, {where}"

    def assumed(self, topic: str, reason: str) -> str:
        return assumed(f"{self.title}, {topic}", reason)


SOCIAL_CODE = Act("Social Code of the Republic of Kazakhstan No. 224-VII of 20 April 2023", "Social Code",
                  "the Code's own text: CIS Legislation translation as amended 15 Apr 2024, read to art. 1 only, "
                  "and art. 122 (conditional cash assistance, paras. 1-2) in Russian at "
                  "pavlodar.com/zakon/?dok=07000&noraz=122&oraz=08; eGov page on targeted social assistance of "
                  "14 Mar 2024 (art. 120 para. 4); MLSP order No. 181 as amended 31 Mar 2025 (art. 12 subpara. 5); "
                  "the project's fact sheet (art. 177); art. 1 subparas. 15), 58) and 116) (the concepts of social "
                  "contributions, OPVR and OPV) as uchet.kz (tags sotsialnye-otchisleniya, sotsialnye-platezhi, "
                  "kz/zhmzzh) and 1cbit.kz quote them; from the press only: art. 80 (birth benefit amounts; "
                  "Caravan.kz after Zakon.kz, 2024, as info-orda.com reprints it) and art. 207 (pension age; "
                  "lada.kz after Tengrinews, 9 Oct 2025)")
TSA_INCOME_RULES = Act("MLSP order No. 181 of 26 May 2023 (rules for calculating the total income of a person "
                       "(family) applying for TSA)", "order No. 181",
                       "CIS Legislation translation as amended 31 Mar 2025, the order's points 1-5 (not the rules' "
                       "points); gov.kz 'How TSA is calculated' for the income counted")
POVERTY_LINE_2023 = Act("MLSP order No. 160 of 19 May 2023", "order No. 160", "not read: the project's fact sheet")
POVERTY_LINE_2025 = Act("MLSP order No. 473 of 20 Dec 2024", "order No. 473", "not read: the project's fact sheet")
HOUSING_RULES = Act("Order of the Minister of Industry and Construction No. 117 of 8 Dec 2023 (rules for housing "
                    "assistance)", "No. 117",
                    "CIS Legislation translation as amended 9 Sep 2024, the order's points 1-5 (made under art. 10-2 subpara. 9-1) of "
                    "the Law on housing relations) and the rules' opening; order No. 279 of 28 Jul 2025 (prg.kz document "
                    "38355481), which words point 3 part 7 of the rules (the amount); the rest of the rules and the "
                    "amendment of 19 Nov 2025 (its norms as reported by Kazinform, 24 Nov 2025) not read")
TAX_CODE = Act("Tax Code of the Republic of Kazakhstan in force from 1 January 2026", "Tax Code", "not read: the project's fact sheet")
HEALTH_LAW = Act("Law on compulsory social health insurance", "health insurance", "not read: the project's fact sheet")
BUDGET_LAW = Act("Law on the republican budget for the year", "budget", "not read: the laws as reported (gov.kz, tengrinews)")
UAPF_RULES = Act("UAPF rules for payments of pension savings", "UAPF", "not read: the project's fact sheet")
AWARD_STATUTES = Act('Award statutes "Kumis alka" and "Altyn alka"', "alka", "not read")
STATISTICS = Act("Bureau of National Statistics", "Bureau of National Statistics", "not read: national values from the fact sheet")
ART_177 = SOCIAL_CODE.at("art. 177")    # disability benefits
ACTS = (SOCIAL_CODE, TSA_INCOME_RULES, POVERTY_LINE_2023, POVERTY_LINE_2025, HOUSING_RULES, TAX_CODE,
        HEALTH_LAW, BUDGET_LAW, UAPF_RULES, AWARD_STATUTES, STATISTICS)

# Why an article is not given, for the acts whose text was not read far enough.
CODE_NOT_FOUND = "the article was not found in the texts read"
RULES_117 = "the rules' point was not read"
NOT_READ = "the act's text was not read"


def texts_read() -> dict[str, str]:
    """Each act's key with its title and the text read, for the generated documents."""
    return {a.key: f"{a.title}: {a.read}" for a in ACTS}


def reference_sites(rules: RuleSet) -> Iterator[tuple[str, str]]:
    """(where, reference) for every formula, exception, parameter and counted-income entry."""
    from komek.kz.standard.income import COUNTED_INCOME  # the income lists cite their points too
    for v in rules.variables.values():
        if v.formula is not None:
            yield f"variable {v.name}", v.reference
            for e in v.exceptions:
                yield f"exception {v.name}/{e.when}", e.reference
    for p in rules.parameters.params.values():
        if p.name not in COUNTED_INCOME.parameters:
            yield f"parameter {p.name}", p.reference
    for measure, entries in COUNTED_INCOME.entries.items():
        for e in entries:
            yield f"income {measure}/{e.income}", e.basis
