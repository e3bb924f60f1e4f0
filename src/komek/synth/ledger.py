"""Monthly income rows and the pension contributions withheld from them, in integer tiyn."""
from __future__ import annotations

import numpy as np

from .calibration import calibration
from .columns import day
from .economy import SELF, WAGE, Streams, Window
from .population import People


def _pct(tiyn: np.ndarray, per_mille: np.ndarray | int) -> np.ndarray:
    """tiyn x rate, rounded half up, with the rate in thousandths (10% = 100, 3.5% = 35)."""
    return (tiyn * per_mille + 500) // 1000


def spread(rng: np.random.Generator, people: People, streams: Streams, window: Window) -> dict[str, np.ndarray]:
    """Incomes: one row per stream and month from its first month until the month of death."""
    noise_sd = calibration()["poverty"]["monthly_noise"]["value"]
    m = len(window.labels)
    s = len(streams.person)
    # month-to-month noise that averages to exactly 1 over the reference quarter, so the
    # calibrated quarterly income is what the table holds
    noise = np.exp(noise_sd * rng.standard_normal((s, m)))
    if window.reference.any():
        noise /= noise[:, window.reference].mean(1, keepdims=True)
    noise = noise.ravel()
    month = np.tile(np.arange(m), s)
    row = np.repeat(np.arange(s), m)
    death = people.death[streams.person]
    last = np.where(death >= 0, np.searchsorted(window.first_day, death, side="right") - 1, m - 1)
    keep = (month >= streams.first_month[row]) & (month <= last[row])
    row, month, noise = row[keep], month[keep], noise[keep]
    in2025 = window.years[month] <= 2025
    amount = np.where(in2025, streams.amount[2025][row], streams.amount[2026][row])
    amount = np.where(streams.noisy[row], amount * noise, amount)
    tiyn = np.round(amount * 100).astype(np.int64)
    ok = tiyn > 0
    return {"row": row[ok], "month": month[ok], "tiyn": tiyn[ok]}


def contributions(people: People, streams: Streams, window: Window, inc: dict, group: np.ndarray,
                  retired: np.ndarray) -> dict[str, np.ndarray]:
    """OPV and OPVR for wages (employee 10%, employer 2.5%/3.5%) and the self-employed (1% + 1%)."""
    law = calibration()["law"]
    row, month, tiyn = inc["row"], inc["month"], inc["tiyn"]
    kind = streams.kind[row]
    sel = (kind == WAGE) | (kind == SELF)
    row, month, tiyn, kind = row[sel], month[sel], tiyn[sel], kind[sel]
    person = streams.person[row]
    year = window.years[month]
    mzp = np.where(year <= 2025, law["minimum_wage"][2025], law["minimum_wage"][2026]) * 100
    cap = law["opv_cap_mzp"] * mzp
    wage = kind == WAGE
    opv = np.where(wage, _pct(np.minimum(tiyn, cap), int(round(law["opv_rate"] * 1000))),
                   _pct(tiyn, int(round(law["self_employed_rate"] * 1000))))
    eligible = ((people.birth[person] >= day(law["opvr_born_from"])) & ~retired[person]
                & ~np.isin(group[person], (0, 1)))
    rate = np.where(year <= 2025, round(law["opvr_rate"][2025] * 1000), round(law["opvr_rate"][2026] * 1000))
    opvr = np.where(wage, _pct(np.clip(tiyn, mzp, cap), rate), _pct(tiyn, int(round(law["self_employed_rate"] * 1000))))
    opvr = np.where(eligible, opvr, 0)
    return {"row": row, "month": month, "person": person, "opv": opv, "opvr": opvr, "wage": wage}
