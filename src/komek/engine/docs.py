"""A rule set written out as Markdown: every measure with its law, inputs and parameters."""
from __future__ import annotations

import datetime as dt

from komek.engine.ruleset import RuleSet


def measures_markdown(rules: RuleSet, title: str, on: dt.date) -> str:
    ps = rules.parameters
    out = [f"# {title}\n\n<!-- Generated from the rules by komek.engine.docs; a test keeps it current. -->\n\n"
           f"Parameter values are those in force on {on.isoformat()}. *Assumption* marks a value not confirmed "
           "by a source.\n\n| measure | paid to | what it is | law |\n|---|---|---|---|\n"]
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
