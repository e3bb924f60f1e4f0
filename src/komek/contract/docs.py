"""The contract written out as Markdown (docs/data-contract.md is this, kept in sync by a test)."""
from __future__ import annotations

from komek.contract.schema import Contract

TYPES = {
    "string": "text",
    "code": "one of the codes listed",
    "date": "date, ISO 8601 `YYYY-MM-DD`, 1850-2100",
    "month": "month `YYYY-MM`",
    "quarter": "quarter `YYYY-Qn`",
    "money": "tenge, at most two decimals, not negative",
    "number": "number, not negative",
    "integer": "whole number, not negative",
    "boolean": "`true`/`false` (also `1`/`0`, `yes`/`no`)",
}

INTRO = """# The registry extract contract

<!-- Generated from src/komek/kz/contract.yaml by komek.kz.contract_markdown; a test keeps them equal. -->

An extract is a folder with one file per table, as Parquet or CSV (UTF-8, header row), named
after the table (`persons.parquet` or `persons.csv`), and an optional `manifest.json`:

```json
{"extract_id": "egov-2026-11-01", "as_of": "2026-11-01"}
```

`as_of` orders extracts: a row from a newer extract replaces the stored row with the same key;
an older extract never overwrites newer data. Without a manifest the extract counts as of the
day it is loaded.

## How rows are checked

Every value is checked against its column's type; a required column may not be empty; codes
must be among those listed; pairs of dates may not run backwards (`order`); the IIN in
`persons` must encode the birth date and sex (YYMMDD, then a digit for century and sex:
1/2 1800s, 3/4 1900s, 5/6 2000s, odd for men); a key may appear once per file. The IIN and
BIN check digit: the sum of the first eleven digits weighted 1..11, modulo 11; if that is 10,
weights 3..11,1,2; a second 10 means the number is invalid.

A row that fails is never dropped silently: it goes to the quarantine with every reason it
failed (`column: problem; ...`) and its original record, and the ingestion report counts it.
A required table or column that is missing stops the extract before any row is loaded, with
a message naming it. Columns not in the contract are ignored; an optional column may be left
out of a file.

## What absence means

Missing is unknown, never zero. An optional table that is not sent is **not known** (`absent:
unknown` below): every measure, score indicator and audit check that needs it is reported as
not computed, with the table named, and `komek validate` and `komek ingest` list what cannot be
computed without it. Within a table that is sent, a person or household with no row has **none
recorded** (no income row: no income recorded). An empty optional value means what its column
says: *none* (nothing recorded: no death date, an open end date) or *unknown*.

## Types

| type | meaning |
|---|---|
"""


def to_markdown(contract: Contract, appendix: str = "") -> str:
    """The contract's tables and types; `appendix` (the country's code lists) goes at the end."""
    types = {**{k: i.description for k, i in contract.identifiers.items()},
             **TYPES, **{k: c.description for k, c in contract.code_lists.items()}}
    out = [INTRO + "".join(f"| `{k}` | {v} |\n" for k, v in types.items())]
    out.append("\n## Tables\n")
    for t in contract.tables.values():
        out.append(f"\n### {t.name}\n\nSource: {t.source}. {'Required' if t.required else 'Optional'} table. "
                   f"Key: {', '.join(f'`{k}`' for k in t.key)}.")
        if t.order:
            out.append(" Dates in order: " + ", ".join(f"`{a}` <= `{b}`" for a, b in t.order) + ".")
        out.append("\n\n| column | type | required | empty means | codes / notes |\n|---|---|---|---|---|\n")
        for c in t.columns.values():
            notes = ", ".join(f"`{x}`" for x in c.codes)
            if c.description:
                notes = f"{notes}; {c.description}" if notes else c.description
            empty = "" if c.required else ("not known" if c.empty == "unknown" else "none recorded")
            out.append(f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | {empty} | {notes} |\n")
    return "".join(out) + appendix
