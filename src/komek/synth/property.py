"""Dwellings by quarter (area, tenure, housing costs) and registered assets."""
from __future__ import annotations

import numpy as np

from .calibration import Region, calibration
from .population import YEAR, People

TENURES = ["own", "state_rent", "private_rent", "other"]
ASSET_KINDS = ["vehicle", "real_estate", "land"]


def _pick(rng, weights: dict, n: int) -> np.ndarray:
    p = np.array([weights[k] for k in TENURES], float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def dwellings(rng: np.random.Generator, people: People) -> dict[str, np.ndarray]:
    """Per household: area, tenure, only_home, and monthly costs at a neutral season (tiyn)."""
    cal = calibration()["housing"]
    nh, urban, size = people.n_households, people.urban, people.size
    base = np.where(urban, cal["area_urban"][0], cal["area_rural"][0])
    per = np.where(urban, cal["area_urban"][1], cal["area_rural"][1])
    area = np.round((base + per * size) * rng.uniform(0.75, 1.3, nh), 1)
    tenure = np.where(urban, _pick(rng, cal["tenure_urban"], nh), _pick(rng, cal["tenure_rural"], nh))
    only = rng.random(nh) >= cal["not_only_home"]
    util = area * np.where(urban, cal["utilities_per_m2"]["urban"], cal["utilities_per_m2"]["rural"]) * rng.uniform(0.85, 1.15, nh)
    maint = np.where(urban & (tenure <= 1), area * cal["maintenance_per_m2"], 0)
    comm = rng.uniform(*cal["communication"], nh)
    rent_m2 = np.where(urban, cal["private_rent_per_m2"]["urban"], cal["private_rent_per_m2"]["rural"])
    rent = np.select([tenure == 2, tenure == 1], [area * rent_m2 * rng.uniform(0.8, 1.2, nh), area * cal["state_rent_per_m2"]], 0)
    tiyn = lambda x: np.round(x * 100).astype(np.int64)  # noqa: E731
    return {"area": area, "tenure": tenure, "only": only, "utilities": tiyn(util), "maintenance": tiyn(maint),
            "communication": tiyn(comm), "rent": tiyn(rent)}


def heating(quarters: list[int]) -> np.ndarray:
    f = calibration()["housing"]["heating_quarter_factor"]
    return np.array([f[q] for q in quarters])


def assets(rng: np.random.Generator, region: Region, people: People, home: dict, u: np.ndarray, as_of: int):
    """Asset rows: (owner person, kind, value tiyn, acquired day, disposed day or -1)."""
    cal = calibration()["assets"]
    nh = people.n_households
    head = people.start
    adult = people.birth[head] + int(18 * YEAR)
    score = 0.7 * u + 0.714 * rng.standard_normal(nh)
    cut = np.quantile(score, 1 - cal["vehicle"]) if nh else 0.0
    car = np.flatnonzero(score > cut)
    car2 = car[rng.random(len(car)) < cal["second_vehicle"] / cal["vehicle"]]
    cars = np.concatenate([car, car2])
    car_value = np.exp(np.log(cal["vehicle_value_median"]) + 0.3 * u[cars] + cal["vehicle_sigma"] * rng.standard_normal(len(cars)))

    own = np.flatnonzero(home["tenure"] == 0)
    prices = cal["price_per_m2"]
    m2 = np.where(region.profile == "city", prices["city"], np.where(people.urban, prices["urban"], prices["rural"]))
    home_value = home["area"][own] * m2[own] * rng.uniform(0.8, 1.2, len(own))
    extra = np.flatnonzero(~home["only"])
    extra_value = rng.uniform(0.3, 0.8, len(extra)) * 40 * m2[extra]
    land = np.flatnonzero(~people.urban & (rng.random(nh) < cal["land_rural"]))
    land_value = rng.uniform(*cal["land_value"], len(land))

    hhs = np.concatenate([cars, own, extra, land])
    kind = np.concatenate([np.zeros(len(cars)), np.ones(len(own) + len(extra)), np.full(len(land), 2)]).astype(np.int64)
    value = np.round(np.concatenate([car_value, home_value, extra_value, land_value]) / 1000) * 1000 * 100
    first = adult[hhs]
    acquired = np.where(kind == 1, np.maximum(people.since[hhs], first),
                        np.maximum(as_of - 1 - np.floor(rng.uniform(0, 15, len(hhs)) * YEAR).astype(np.int64), first))
    acquired = np.minimum(acquired, as_of - 1)
    sold = (kind == 0) & (rng.random(len(hhs)) < cal["disposed"])
    disposed = np.where(sold, acquired + np.floor(rng.random(len(hhs)) * (as_of - acquired)).astype(np.int64), -1)
    return head[hhs], kind, value.astype(np.int64), acquired, disposed


def crossings(rng: np.random.Generator, people: People, u: np.ndarray, window_start: int, as_of: int):
    """Exit and entry pairs for travellers; a late second trip may still be under way at as_of."""
    cal = calibration()["travel"]
    n = people.n
    p = cal["travellers"] * np.clip(1 + 0.6 * u[people.hh], 0.2, 3)
    who = np.flatnonzero((people.age >= 18) & (people.death < 0) & (rng.random(n) < p))
    mid = (window_start + as_of) // 2
    lo, hi = cal["trip_days"]
    out1 = rng.integers(window_start, mid - hi - 1, len(who))
    in1 = out1 + rng.integers(lo, hi + 1, len(who))
    two = who[rng.random(len(who)) < cal["second_trip"]]
    out2 = rng.integers(mid, as_of, len(two))
    in2 = out2 + rng.integers(lo, hi + 1, len(two))
    back = in2 < as_of
    person = np.concatenate([who, who, two, two[back]])
    date = np.concatenate([out1, in1, out2, in2[back]])
    direction = np.concatenate([np.zeros(len(who)), np.ones(len(who)), np.zeros(len(two)), np.ones(int(back.sum()))])
    return person, date, direction.astype(np.int64)
