"""A reference as a Kazakh or Russian reader reads it in a summary sentence: the act's title in the
language, its article, paragraph, subparagraph or point as the language writes them (ст. 120 п. 4;
120-бап 4-тармақ), and a reference whose article is not confirmed marked so in the language.

The English reference stays whole in the explanation's tree (its topic, the reason of an
assumption); a sentence in another language cites only what it can say in that language: the acts
named and their articles. The titles and words are in the catalogs `locale/<lang>/LC_MESSAGES/
citations.po`, written by the project and awaiting review by native speakers."""
from __future__ import annotations

import re
from functools import cache

from komek.engine.references import assumption_reason
from komek.kz.catalogs import N_, translations
from komek.kz.standard.law import ACTS

DOMAIN = "citations"
_MARK = re.compile(r"\s*\[assumption:[^\]]*\]")
_WHERE = re.compile(r"\b(art|para|subpara|point|part)\.? ?(\d+(?:-\d+)?\)?)")
WORDS = {   # the English abbreviation -> its template in the catalogs
    "art": N_("art. {n}"), "para": N_("para. {n}"), "subpara": N_("subpara. {n}"), "point": N_("point {n}"),
    "part": N_("part {n}"),
}
ASSUMED = N_("[assumption: not confirmed]")
TITLES = {a.title: N_(a.title) for a in ACTS}


@cache
def _catalog(lang: str):
    return translations(lang, domain=DOMAIN)


def cite(reference: str, lang: str) -> str:
    """`reference` as a sentence in `lang` cites it; English: the reference itself."""
    if lang == "en":
        return reference
    t = _catalog(lang).gettext
    parts = []
    for part in _MARK.sub("", reference).split("; "):
        act = next((title for title in TITLES if title in part), None)
        if act is None:             # words of the project's own (how a source was read): in the English tree
            continue
        where = " ".join(t(WORDS[kind]).format(n=n) for kind, n in _WHERE.findall(part.replace(act, "")))
        parts.append(f"{t(act)}, {where}" if where else t(act))
    cited = "; ".join(parts)
    if assumption_reason(reference) is not None or not parts:
        cited = f"{cited} {t(ASSUMED)}".strip()
    return cited
