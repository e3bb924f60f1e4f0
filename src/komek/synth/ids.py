"""IINs and BINs for whole regions at once, unique across regions without coordination.

The serial block of each region is disjoint (20 regions x 500 serials for IINs, x 5,000 for
BINs), so regions can be generated independently. Within a block the k-th person of a birth date
and sex gets serial 2k: the last serial digit has weight 11 (= 0 mod 11) in the first check sum,
so if 2k has no check digit, 2k + 1 (free by construction) always has one.
"""
from __future__ import annotations

import numpy as np

from komek.kz.iin import W1, W2

from .columns import civil, digits

IIN_BLOCK = 500
BIN_BLOCK = 5000


def _rank_within(key: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each group of equal keys."""
    order = np.argsort(key, kind="stable")
    k = key[order]
    new = np.r_[True, k[1:] != k[:-1]]
    starts = np.flatnonzero(new)
    rank_sorted = np.arange(len(k)) - starts[np.cumsum(new) - 1]
    rank = np.empty_like(rank_sorted)
    rank[order] = rank_sorted
    return rank


def _with_check(head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check digits for an (n, 11) digit matrix, and where none exists."""
    h = head.astype(np.int64)
    s1 = (h * np.array(W1)).sum(1) % 11
    s2 = (h * np.array(W2)).sum(1) % 11
    c = np.where(s1 == 10, s2, s1)
    return c, c == 10


def _finish(head: np.ndarray) -> np.ndarray:
    """Append the check digit, moving the serial from 2k to 2k + 1 where 2k has none."""
    c, bad = _with_check(head)
    if bad.any():
        head[bad, 10] += 1
        c2, bad2 = _with_check(head[bad])
        assert not bad2.any()
        c[bad] = c2
    return np.hstack([head, c[:, None]]).astype(np.uint8) + 48


def iins(birth: np.ndarray, male: np.ndarray, region_index: int) -> np.ndarray:
    """(n, 12) ASCII matrix of valid IINs, unique within (and across) regions."""
    y, m, d = civil(birth)
    rank = _rank_within(birth.astype(np.int64) * 2 + male)
    if len(rank) and rank.max() >= IIN_BLOCK // 2:
        raise ValueError("too many people share a birth date and sex in one region for the IIN serial "
                         "block; generate fewer households")
    serial = region_index * IIN_BLOCK + 2 * rank
    d7 = (y // 100 - 18) * 2 + np.where(male, 1, 2)
    head = np.hstack([digits(y % 100, 2), digits(m, 2), digits(d, 2), digits(d7, 1),
                      digits(serial, 4)]).astype(np.int64) - 48
    return _finish(head)


def bins(registered: np.ndarray, region_index: int) -> np.ndarray:
    """(n, 12) ASCII matrix of valid BINs: YYMM of registration, 4 (legal entity), 0 (head office),
    a 5-digit serial and the check digit."""
    y, m, _ = civil(registered)
    rank = _rank_within(y * 12 + m)
    if len(rank) and rank.max() >= BIN_BLOCK // 2:
        raise ValueError("too many employers registered in one month for the BIN serial block")
    serial = region_index * BIN_BLOCK + 2 * rank
    n = len(y)
    head = np.hstack([digits(y % 100, 2), digits(m, 2), np.full((n, 1), 52, np.uint8),
                      np.full((n, 1), 48, np.uint8), digits(serial, 5)]).astype(np.int64) - 48
    return _finish(head)
