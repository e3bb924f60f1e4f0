"""The IIN (individual identification number) and BIN (business identification number).

Both are 12 digits ending in a check digit computed the same way: the weighted sum of the
first eleven digits with weights 1..11, modulo 11; if that is 10, weights 3..11,1,2 are used
instead; a second 10 means the number was never issued (it is invalid).

IIN layout: YYMMDD of birth, then a digit for century and sex (1/2: 1800s, 3/4: 1900s,
5/6: 2000s; odd male, even female), four serial digits and the check digit.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import polars as pl

W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


def check_digit(first11: str) -> int | None:
    """The check digit for eleven digits, or None when no valid number can end them."""
    d = [int(c) for c in first11]
    s = sum(a * b for a, b in zip(d, W1)) % 11
    if s == 10:
        s = sum(a * b for a, b in zip(d, W2)) % 11
    return None if s == 10 else s


def is_valid(number: str) -> bool:
    """True for a 12-digit IIN or BIN whose check digit is right."""
    if len(number) != 12 or not number.isdigit():
        return False
    return check_digit(number[:11]) == int(number[11])


def birth_date(iin: str) -> dt.date:
    """The birth date an IIN encodes (raises ValueError for an impossible one)."""
    century = CENTURY.get(int(iin[6]))
    if century is None:
        raise ValueError(f"IIN century/sex digit {iin[6]} is not 1-6")
    return dt.date(century + int(iin[:2]), int(iin[2:4]), int(iin[4:6]))


def sex(iin: str) -> str:
    return "M" if int(iin[6]) % 2 else "F"


def mask(iin: str | None) -> str | None:
    """An IIN for display: only its last four digits (the first seven give birth date and sex)."""
    return None if iin is None else "*" * (len(iin) - 4) + iin[-4:]


def make(birth: dt.date, sex_: str, serial: int) -> str | None:
    """The IIN for a birth date, sex and serial (0-9999), or None if that serial has no check digit."""
    digit = (birth.year // 100 - 18) * 2 + (1 if sex_ == "M" else 2)
    head = f"{birth:%y%m%d}{digit}{serial:04d}"
    c = check_digit(head)
    return None if c is None else head + str(c)


# Vectorized forms, for millions of rows.

def _digits(col: pl.Expr, i: int) -> pl.Expr:
    return col.str.slice(i, 1).cast(pl.Int32, strict=False)


def valid_expr(col: pl.Expr) -> pl.Expr:
    """Polars expression: True where the string column holds a valid IIN/BIN."""
    d = [_digits(col, i) for i in range(12)]
    s1 = pl.sum_horizontal([d[i] * W1[i] for i in range(11)]) % 11
    s2 = pl.sum_horizontal([d[i] * W2[i] for i in range(11)]) % 11
    check = pl.when(s1 == 10).then(s2).otherwise(s1)
    return (col.str.contains(r"^\d{12}$").fill_null(False) & (check != 10) & (check == d[11])).fill_null(False)


def birth_date_expr(col: pl.Expr) -> pl.Expr:
    """Polars expression: the birth date an IIN encodes (null where impossible)."""
    century = _digits(col, 6).replace_strict(CENTURY, default=None, return_dtype=pl.Int32)
    return pl.date(century + col.str.slice(0, 2).cast(pl.Int32, strict=False),
                   col.str.slice(2, 2).cast(pl.Int32, strict=False),
                   col.str.slice(4, 2).cast(pl.Int32, strict=False))


def sex_expr(col: pl.Expr) -> pl.Expr:
    return pl.when(_digits(col, 6) % 2 == 1).then(pl.lit("M")).otherwise(pl.lit("F"))


IN_TEXT = r"\b\d{8}(\d{4})\b"       # a 12-digit number, standing alone or inside an id


def mask_expr(col: pl.Expr) -> pl.Expr:
    """Polars expression: every 12-digit number in a text column masked as `mask` does, also
    inside ids and evidence (payment ids and asset holders carry IINs)."""
    return col.str.replace_all(IN_TEXT, "********$1")


def mask_text(text: str) -> str:
    """Every 12-digit number in a text masked as `mask` does (a log line, a path)."""
    return re.sub(IN_TEXT, r"********\1", text)


def make_many(births: np.ndarray, male: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """Vectorized `make` for numpy arrays of datetime64[D] births, bool male and int serials.

    A serial with no check digit (about 1 in 11) is moved on by one until one exists, so the
    result is always valid; callers keep serials unique per (birth date, sex) and spaced by 2.
    """
    ymd = births.astype("datetime64[D]").astype(object)
    years = np.fromiter((d.year for d in ymd), int, len(ymd))
    months = np.fromiter((d.month for d in ymd), int, len(ymd))
    days = np.fromiter((d.day for d in ymd), int, len(ymd))
    digit7 = (years // 100 - 18) * 2 + np.where(male, 1, 2)
    head = np.stack([(years % 100) // 10, years % 10, months // 10, months % 10, days // 10, days % 10,
                     digit7], axis=1)
    out = np.empty(len(ymd), dtype="U12")
    serials = serials.copy()
    todo = np.ones(len(ymd), bool)
    while todo.any():
        ser = serials[todo]
        digits = np.concatenate([head[todo], np.stack([ser // 1000 % 10, ser // 100 % 10, ser // 10 % 10, ser % 10], 1)], 1)
        s1 = (digits * np.array(W1)).sum(1) % 11
        s2 = (digits * np.array(W2)).sum(1) % 11
        c = np.where(s1 == 10, s2, s1)
        ok = c != 10
        idx = np.flatnonzero(todo)
        full = np.concatenate([digits, c[:, None]], 1)
        strs = ["".join(map(str, r)) for r in full[ok]]
        out[idx[ok]] = strs
        serials[idx[~ok]] += 1
        todo[idx[ok]] = False
    return out
