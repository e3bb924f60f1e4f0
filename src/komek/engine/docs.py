"""A rule set written out as Markdown: every measure with its law, inputs and parameters."""
from __future__ import annotations

import datetime as dt

from komek.engine.references import assumption_reason
from komek.engine.ruleset import RuleSet


def _law(rules: RuleSet, names: list[str], texts_read: dict[str, str]) -> list[str]:
    """Each reference the measure rests on, once, with what cites it; then the texts read."""
    cited: dict[str, list[str]] = {}
    for n in names:
        v = rules.variables[n]
        if v.formula is not None:
            cited.setdefault(v.reference, []).append(f"`{n}`")
            for e in v.exceptions:
                cited.setdefault(e.reference, []).append(f"`{n}` (exception `{e.when}`)")
        for p in v.parameters():
            if p in rules.parameters:
                cited.setdefault(rules.parameters[p].reference, []).append(f"`{p}`")
    out = ["\n\nWhat it rests on:\n"]
    for ref in sorted(cited, key=lambda r: (assumption_reason(r) is not None, r)):
        out.append(f"\n- {ref}: {', '.join(dict.fromkeys(cited[ref]))}")
    read = [text for key, text in texts_read.items() if any(key.lower() in r.lower() for r in cited)]
    if read:
        out.append("\n\nTexts read: " + "; ".join(read) + ".")
    return out


def measures_markdown(rules: RuleSet, title: str, on: dt.date, texts_read: dict[str, str] | None = None) -> str:
    """`texts_read`: for each act, the words that name it in a reference, and the text of it that was read."""
    ps = rules.parameters
    out = [f"# {title}\n\n<!-- Generated from the rules by komek.engine.docs; a test keeps it current. -->\n\n"
           f"Parameter values are those in force on {on.isoformat()}. *Assumption* marks a value not confirmed "
           "by a source; a reference ending in [assumption: ...] names its act but not a confirmed article, "
           "and says why.\n\n| measure | paid to | what it is | law |\n|---|---|---|---|\n"]
    measures = rules.measures()
    for m in measures:
        out.append(f"| `{m.name}` | {m.entity.name} | {m.label} | {m.reference} |\n")
    for m in measures:
        out.append(f"\n## `{m.name}`\n\n{m.label}. {m.reference}. Rounding: {m.rounding or 'none'}.")
        if m.eligible:
            out.append(f" Computed only where `{m.eligible}` holds.")
        if m.exceptions:
            out.append("\n\nExceptions, the first that applies wins:\n")
            for e in m.exceptions:
                out.append(f"\n- when `{e.when}`: {e.label} ({e.reference})"
                           + (": zero" if e.formula is None else ""))
        out += _law(rules, rules.closure([m.name]), texts_read or {})
        out.append("\n\nInputs it needs: " + ", ".join(f"`{n}`" for n in rules.needs(m.name)) + ".\n")
        params = sorted({p for n in rules.closure([m.name]) for p in rules.variables[n].parameters()})
        if params:
            out.append("\n| parameter | value | from | source |\n|---|---|---|---|\n")
            for name in params:
                try:
                    d = ps[name].at(on)
                except KeyError:
                    continue
                value = d.value
                if isinstance(value, dict):
                    value = ", ".join(f"{k}: {v:g}" for k, v in value.items())
                elif hasattr(value, "thresholds"):
                    value = ", ".join(f"{t:g}+: {v:g}" for t, v in zip(value.thresholds, value.values))
                elif isinstance(value, tuple):
                    value = ", ".join(value)
                elif isinstance(value, float):
                    value = f"{value:,.6g}"
                flag = " *Assumption*" if not d.confirmed else ""
                out.append(f"| `{name}` | {value} {ps[name].unit} | {d.start} | {d.source}{flag} |\n")
    return "".join(out)
