"""Households and the people in them: composition, ages, names, IINs, deaths, registrations."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calibration import Region, calibration, names
from .ids import iins

YEAR = 365.2425
HEAD, SPOUSE, CHILD, PARENT, OTHER = range(5)
ROLES = ["head", "spouse", "child", "parent", "other"]
SINGLE, COUPLE, NUCLEAR, SINGLE_PARENT, MULTIGEN = range(5)


@dataclass
class People:
    # households
    n_households: int
    htype: np.ndarray
    urban: np.ndarray
    size: np.ndarray
    start: np.ndarray         # index of the head in the person arrays
    since: np.ndarray         # day the household was formed
    locality: np.ndarray      # 9-digit locality code as an integer
    # persons
    hh: np.ndarray
    role: np.ndarray
    male: np.ndarray
    age: np.ndarray           # years at as_of
    birth: np.ndarray         # days since 1970-01-01
    death: np.ndarray         # days, -1 for the living
    iin: np.ndarray           # (n, 12) ASCII
    first: np.ndarray
    last: np.ndarray
    patronymic: np.ndarray    # index, -1 for none
    citizenship: np.ndarray
    registered: np.ndarray    # first day of the current registration and household membership

    @property
    def n(self) -> int:
        return len(self.hh)


def _mixture(rng: np.random.Generator, bands: list, n: int) -> np.ndarray:
    w = np.array([b[0] for b in bands], float)
    pick = np.searchsorted(np.cumsum(w / w.sum()), rng.random(n), side="right").clip(0, len(bands) - 1)
    lo = np.array([b[1] for b in bands], float)[pick]
    hi = np.array([b[2] for b in bands], float)[pick]
    return lo + (hi - lo) * rng.random(n)


def _clip(rng, x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Clip ages without piling people onto one birth date: clipped values spread over a year."""
    return np.where(x < lo, lo + rng.random(len(x)), np.where(x > hi, hi - rng.random(len(x)), x))


def localities(rng: np.random.Generator, code, urban: np.ndarray) -> np.ndarray:
    """9-digit KATO-like codes: region, district, rural okrug, settlement. Towns have 8 codes with
    the regional centre holding half the urban people; villages 400 codes."""
    n = len(urban)
    town = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 8, n))
    village = rng.integers(0, 400, n)
    tail = np.where(urban, (town + 1) * 100000,
                    (20 + village % 20) * 100000 + (1 + village // 20) * 1000 + 1 + village % 7)
    return np.asarray(code, np.int64) * 10**7 + tail


def build(rng: np.random.Generator, region: Region, n_households: int, as_of: int, window_start: int) -> People:
    cal = calibration()
    fam = cal["families"]
    nh = n_households
    shares = np.array(fam["profiles"][region.profile], float)
    htype = np.searchsorted(np.cumsum(shares / shares.sum()), rng.random(nh), side="right").clip(0, 4)
    urban = rng.random(nh) < region.urban

    # composition; the mean number of children is solved so the mean size matches the region's
    p = shares / shares.sum()
    p_spouse = p[COUPLE] + p[NUCLEAR] + p[MULTIGEN]
    p_kids = p[NUCLEAR] + p[SINGLE_PARENT] + p[MULTIGEN]
    tp, po = fam["two_parents"], fam["other_member"]
    mean_kids = max(1.0, (region.size - 1 - p_spouse - p[MULTIGEN] * (1 + tp) - po) / p_kids)
    spouse = np.isin(htype, (COUPLE, NUCLEAR, MULTIGEN)).astype(np.int64)
    kids = np.where(np.isin(htype, (NUCLEAR, SINGLE_PARENT, MULTIGEN)), 1 + rng.poisson(mean_kids - 1, nh), 0)
    parents = np.where(htype == MULTIGEN, 1 + (rng.random(nh) < tp), 0)
    other = (rng.random(nh) < po).astype(np.int64)
    size = 1 + spouse + kids + parents + other
    start = np.concatenate([[0], np.cumsum(size)[:-1]])
    n = int(size.sum())
    hh = np.repeat(np.arange(nh), size)
    pos = np.arange(n) - start[hh]
    off = pos - 1 - spouse[hh]
    role = np.select([pos == 0, (pos == 1) & (spouse[hh] == 1), off < kids[hh], off < kids[hh] + parents[hh]],
                     [HEAD, SPOUSE, CHILD, PARENT], OTHER).astype(np.int8)

    # ages: heads by type; spouses near the head; children from the mother's age; parents older
    head_age = np.empty(nh)
    for t, name in enumerate(fam["types"]):
        m = htype == t
        head_age[m] = _mixture(rng, fam["head_age"][name], int(m.sum()))
    female_p = np.array([fam["head_female"][t] for t in fam["types"]])[htype]
    head_male = rng.random(nh) >= female_p
    gap = rng.normal(*fam["spouse_gap"], nh)
    spouse_age = _clip(rng, np.where(head_male, head_age - gap, head_age + gap), 18, 95)
    mother_age = np.where(~head_male, head_age, np.where(spouse == 1, spouse_age, head_age - 3))
    kid_span = np.clip(np.minimum(mother_age - 18, fam["child_age_cap"]), 0.3, None)

    age = np.empty(n)
    male = np.empty(n, bool)
    u = rng.random(n)
    h = hh
    r = role
    age[r == HEAD] = head_age
    male[r == HEAD] = head_male
    ms = r == SPOUSE
    age[ms] = spouse_age[h[ms]]
    male[ms] = ~head_male[h[ms]]
    mc = r == CHILD
    age[mc] = u[mc] * kid_span[h[mc]]
    male[mc] = rng.random(int(mc.sum())) < 0.512          # sex ratio at birth
    mp = r == PARENT
    age[mp] = _clip(rng, head_age[h[mp]] + rng.uniform(*fam["parent_gap"], int(mp.sum())), 40, 96)
    first_parent = mp & (pos == 1 + spouse[h] + kids[h])
    two = parents[h] == 2
    male[mp] = np.where(two[mp], first_parent[mp], rng.random(int(mp.sum())) < 0.25)
    mo = r == OTHER
    age[mo] = rng.uniform(16, 75, int(mo.sum()))
    male[mo] = rng.random(int(mo.sum())) < 0.5

    birth = as_of - 1 - np.floor(age * YEAR).astype(np.int64)
    death = _deaths(rng, age, birth, as_of, window_start)
    iin = iins(birth, male, region.index)

    first, last, patr = _names(rng, region, nh, hh, role, male, pos, spouse, kids, parents)
    cit = np.where(rng.random(n) < cal["people"]["citizens"]["value"], 0,
                   1 + rng.integers(0, len(cal["people"]["foreign"]), n))

    since = as_of - np.floor(rng.uniform(0.2, 1, nh) * np.clip(head_age - 18, 0.5, 30) * YEAR).astype(np.int64)
    registered = np.maximum(since[hh], birth)
    return People(nh, htype, urban, size, start, since, localities(rng, int(region.code), urban),
                  hh, role, male, age, birth, death, iin, first, last, patr, cit, registered)


def _deaths(rng, age, birth, as_of, window_start) -> np.ndarray:
    bands = calibration()["people"]["deaths_per_year"]["bands"]
    rate = np.array([b[1] for b in bands])[np.searchsorted([b[0] for b in bands], age, side="right") - 1]
    years = (as_of - window_start) / YEAR
    dies = rng.random(len(age)) < rate * years
    day = rng.integers(window_start, as_of, len(age))
    return np.where(dies, np.maximum(day, birth), -1)


def _names(rng, region, nh, hh, role, male, pos, spouse, kids, parents):
    nm = names()
    n = len(hh)
    kazakh_h = rng.random(nh) < region.kazakh
    kz = kazakh_h[hh]

    def pick(table: dict, size_kz: np.ndarray) -> np.ndarray:
        (o1, c1), (o2, c2) = table["kazakh"], table["russian"]
        return np.where(size_kz, o1 + rng.integers(0, c1, len(size_kz)), o2 + rng.integers(0, c2, len(size_kz)))

    first = np.where(male, pick(nm.male, kz), pick(nm.female, kz))
    root_h = pick(nm.roots, kazakh_h)
    root = root_h[hh]
    own = (role == OTHER) | ((role == SPOUSE) & (rng.random(n) < 0.2)) | ((role == PARENT) & ~male & (rng.random(n) < 0.3))
    root = np.where(own, pick(nm.roots, kz), root)
    last = root * 2 + ~male

    # the father: for children the man among head and spouse; for the head a male parent at home
    starts = pos == 0
    head_idx = np.flatnonzero(starts)
    head_male = male[head_idx]
    man = np.where(head_male, head_idx, np.where(spouse == 1, head_idx + 1, -1))
    father = np.where(man >= 0, first[np.maximum(man, 0)], -1)[hh]
    first_parent = head_idx + 1 + spouse + kids
    has_father = (parents > 0) & male[np.minimum(first_parent, n - 1)]
    head_father = np.where(has_father, first[np.minimum(first_parent, n - 1)], -1)[hh]
    random_father = pick(nm.male, kz)
    dad = np.where((role == CHILD) & (father >= 0), father,
                   np.where((role == HEAD) & (head_father >= 0), head_father, random_father))
    patr = dad * 2 + ~male
    missing = rng.random(n) < calibration()["people"]["patronymic_missing"]["value"]
    return first, last, np.where(missing, -1, patr)
