"""Money: tenge with two decimals, exact. In frames and files a `Decimal(14, 2)`, in the database
`NUMERIC(14, 2)`; in the engine float64 tenge rounded by each measure's rule, turned back into
exact decimals through whole tiyn."""
from __future__ import annotations

from decimal import Decimal

import numpy as np
import polars as pl
import pyarrow as pa

MONEY = pl.Decimal(14, 2)


def tiyn(column: str) -> pl.Expr:
    """A money column as whole tiyn: the decimal's own integer, with no float on the way."""
    return pl.col(column).cast(MONEY).to_physical().cast(pl.Int64).fill_null(0)


def decimals(tiyn_: np.ndarray) -> pa.Array:
    """Exact decimal(14, 2) tenge from whole tiyn: Arrow's 128-bit decimals are the tiyn count
    itself (low word, then the sign), so no cast has to parse anything."""
    tiyn_ = np.ascontiguousarray(tiyn_, dtype=np.int64)
    words = np.empty((len(tiyn_), 2), dtype=np.int64)
    words[:, 0], words[:, 1] = tiyn_, tiyn_ >> 63
    return pa.Array.from_buffers(pa.decimal128(14, 2), len(tiyn_), [None, pa.py_buffer(words)])


def money_series(tenge: np.ndarray) -> pl.Series:
    """Amounts in float64 tenge (already rounded by each measure's rule) as an exact decimal column."""
    return pl.from_arrow(decimals(np.rint(np.asarray(tenge, dtype=np.float64) * 100).astype(np.int64)))


def tenge(tiyn_: int) -> Decimal:
    """Whole tiyn as exact tenge with two decimals (12345 -> Decimal('123.45'))."""
    return Decimal(int(tiyn_)).scaleb(-2)


def to_tiyn(amount: Decimal) -> int:
    """Tenge with at most two decimals as whole tiyn; a ValueError for a fraction of a tiyn."""
    whole = Decimal(amount).scaleb(2)
    if whole != whole.to_integral_value():
        raise ValueError(f"{amount} is not a whole number of tiyn")
    return int(whole)
