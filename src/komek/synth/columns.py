"""Arrow columns built straight from numpy buffers: millions of rows without Python objects."""
from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from komek.kz import contract
from komek.money import decimals

EPOCH = np.datetime64("1970-01-01", "D")
_ARROW = [(pl.String, pa.string()), (pl.Date, pa.date32()), (pl.Float64, pa.float64()),
          (pl.Boolean, pa.bool_()), (pl.Int64, pa.int64())]


def arrow_schema(table: str) -> pa.Schema:
    """The contract's schema for a table, in Arrow types (money is decimal128(14, 2))."""
    fields = []
    for name, dtype in contract().tables[table].schema.items():
        if isinstance(dtype, pl.Decimal):
            arrow = pa.decimal128(dtype.precision, dtype.scale)
        else:
            arrow = next(a for p, a in _ARROW if dtype == p)
        fields.append(pa.field(name, arrow))
    return pa.schema(fields)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an (n, width) uint8 matrix of ASCII."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values.astype(np.int64)[:, None] // powers) % 10 + 48).astype(np.uint8)


def text(chars: np.ndarray) -> pa.Array:
    """A string column from an (n, width) ASCII matrix: every value has the same width."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(chars, dtype=np.uint8)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def prefixed(prefix: str, values: np.ndarray, width: int) -> pa.Array:
    """Identifiers such as 'H75' + zero-padded serial."""
    head = np.frombuffer(prefix.encode("ascii"), np.uint8)
    return text(np.hstack([np.broadcast_to(head, (len(values), len(head))), digits(values, width)]))


def words(vocabulary: list[str], index: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A string column taken from a small vocabulary (codes, names, months)."""
    taken = pa.array(vocabulary, pa.string()).take(pa.array(index.astype(np.int32)))
    if valid is None:
        return taken
    return pc.if_else(pa.array(valid), taken, pa.scalar(None, pa.string()))


def money(tiyn: np.ndarray) -> pa.Array:
    """Exact decimal(14, 2) tenge from integer tiyn; the contract's money is never negative."""
    tiyn = np.ascontiguousarray(tiyn, dtype=np.int64)
    if len(tiyn) and tiyn.min() < 0:
        raise ValueError("money must not be negative")
    return decimals(tiyn)


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """date32 from days since 1970-01-01; rows where `valid` is False are null."""
    arr = pa.array(np.ascontiguousarray(days, dtype=np.int32)).view(pa.date32())
    if valid is None:
        return arr
    return pc.if_else(pa.array(valid), arr, pa.scalar(None, pa.date32()))


def flags(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool))


def table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    schema = arrow_schema(name)
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


def day(d) -> int:
    """Days since 1970-01-01 for a date."""
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day arrays for days since 1970-01-01 (vectorized calendar)."""
    d = (EPOCH + days.astype("timedelta64[D]"))
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    return (y.astype(np.int64) + 1970, (m - y.astype("datetime64[M]")).astype(np.int64) + 1,
            (d - m.astype("datetime64[D]")).astype(np.int64) + 1)
