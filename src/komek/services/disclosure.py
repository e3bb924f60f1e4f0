"""What may leave the platform as an aggregate: a table cell that counts only a few households or
people could point at them, so it is suppressed before anyone downloads it.

`suppress` is the one rule, applied to every aggregate a job publishes: a cell counting at least
one and fewer than `min_count` is blanked (null) with the figures of the same cell (`also`:
spending, shares), and its row says so in the flag column. A zero says nobody and points at no
one, so it stays; a count that is null (not computed) stays null and is not flagged, so the flag
tells a suppressed cell from an unknown one. Only the cells themselves are suppressed: totals
published beside them are the sums of every cell.
"""
from __future__ import annotations

from collections.abc import Iterable

import polars as pl

MIN_COUNT = 10


def suppress(frame: pl.DataFrame, count_col: str, min_count: int = MIN_COUNT, *, also: Iterable[str] = (),
             flag: str = "suppressed") -> pl.DataFrame:
    """`frame` with `count_col` (and the columns `also`) null where 0 < count < min_count, and a
    boolean `flag` column true there (or-ed with an existing `flag`, for a second count)."""
    small = pl.col(count_col).is_between(1, min_count - 1, closed="both").fill_null(False)
    hidden = {c: pl.when(small).then(None).otherwise(pl.col(c)).alias(c) for c in (count_col, *also)}
    marked = small | pl.col(flag) if flag in frame.columns else small
    return frame.with_columns(marked.alias(flag)).with_columns(*hidden.values())
