"""Work, pensions, benefits and the household incomes that follow from a calibrated welfare draw.

Each household gets a per-capita welfare level from a lognormal whose median is solved, on the
region's own draw, so that the share of persons below the poverty line matches the regional rate.
Pensions and benefits are fixed by the rules and form a floor; the rest of the household's income
is split among its earners (wages, self-employment, business), with alimony and rent carved out
for some. What the incomes table then holds for the reference quarter is that welfare x size,
up to the month-to-month noise of earned income.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calibration import Region, calibration
from .health import Disability
from .population import SINGLE_PARENT, People

KINDS = ["wage", "self_employed", "business", "pension", "benefit", "alimony", "rent", "other", "child_disability"]
WAGE, SELF, BUSINESS, PENSION, BENEFIT, ALIMONY, RENT, OTHER, DISABLED_CHILD = range(9)
SOURCES = ["SGD", "SPF", "UAPF", "EGOV"]
SGD, SPF, UAPF, EGOV = range(4)


@dataclass
class Window:
    """The months covered and the reference quarter whose income is calibrated."""
    as_of: int
    start: int                  # first day of the first month
    labels: list[str]           # 'YYYY-MM'
    years: np.ndarray
    first_day: np.ndarray       # first day of each month
    reference: np.ndarray       # bool per month: in the last full quarter before as_of


@dataclass
class Streams:
    """One row per person and kind of income, before it is spread over the months."""
    person: np.ndarray
    kind: np.ndarray
    source: np.ndarray
    amount: dict                # year -> monthly tenge (float)
    noisy: np.ndarray
    first_month: np.ndarray
    employer: np.ndarray        # firm index for wages, -1 otherwise
    occupation: np.ndarray      # occupation index for wages, -1 otherwise


def pension_age(people: People) -> np.ndarray:
    law = calibration()["law"]["pension_age"]
    return people.age >= np.where(people.male, law["M"], law["F"])


def _pensions(rng, people: People, retired: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """SPF (base + solidarity) and UAPF funded pensions: (persons, {year: amount}) lists."""
    cal = calibration()
    law, pc = cal["law"], cal["pensions"]
    who = np.flatnonzero(retired)
    n = len(who)
    years = rng.uniform(*pc["participation_years"], n)
    solid = rng.random(n) < pc["solidarity_share"]
    extra = rng.uniform(*pc["solidarity_extra"], n)
    spf = {}
    for y in (2025, 2026):
        pm = law["subsistence_minimum"][y]
        ratio = np.minimum(law["base_pension_floor"] + law["base_pension_step"] * np.maximum(years - 10, 0),
                           law["base_pension_cap"][y])
        ratio_extra = 1.0 if y == 2026 else pc["solidarity_2025_ratio"]
        spf[y] = np.ceil(ratio * pm) + np.where(solid, law["minimum_pension"][y] + extra * ratio_extra, 0)
    savings = np.exp(np.log(pc["uapf_savings_median"]) + pc["uapf_savings_sigma"] * rng.standard_normal(n))
    funded = (rng.random(n) < pc["uapf_share"]) & (savings > 12 * law["minimum_pension"][2026])
    uapf = {2026: np.maximum(law["uapf_floor"] * law["subsistence_minimum"][2026],
                             savings * law["uapf_payment_rate"] / 12)[funded]}
    uapf[2025] = np.maximum(uapf[2026] / 1.05, law["uapf_floor"] * law["subsistence_minimum"][2025])
    return [who, who[funded]], [spf, uapf]


def _disability_benefits(people: People, dis: Disability, retired: np.ndarray):
    """Monthly state benefit (art. 177) for disabled people below pension age."""
    law = calibration()["law"]
    coef = law["disability_benefit_pm"]
    who = dis.who[~retired[dis.who]]
    grp = dis.group[who]
    cause = dis.cause[np.searchsorted(dis.who, who)]
    general = np.array([coef["general"][x] for x in ("1", "2", "3", "3")])[grp]
    childhood = np.array([coef["childhood"][x] for x in ("1", "2", "3", "3")])[grp]
    c = np.where(grp == 3, coef["child"], np.where(cause == 1, childhood, general))
    return who, {y: np.ceil(c * law["subsistence_minimum"][y]) for y in (2025, 2026)}


def solve_median(u, size, floor, kept_floor, kept_share, sigma, line, target) -> float:
    """log-median of per-capita welfare so that the person-weighted share below `line` is `target`.

    The household receives max(welfare x size - floor, 0) on top of its pensions and benefits
    (`floor`); `kept_floor` and `kept_share` are what of each survives deaths in the reference
    quarter, so the rate is hit on what the incomes table will hold.
    """
    lo, hi = np.log(line) - 6, np.log(line) + 6
    persons = size.sum()
    for _ in range(60):
        mu = (lo + hi) / 2
        held = kept_floor + np.maximum(np.exp(mu + sigma * u) * size - floor, 0) * kept_share
        rate = size[held / size < line].sum() / persons
        lo, hi = (mu, hi) if rate > target else (lo, mu)
    return (lo + hi) / 2


def alive_in_reference(people: People, window: Window) -> np.ndarray:
    """Share of the reference quarter's months each person is alive in (paid for)."""
    ref = np.flatnonzero(window.reference)
    if not len(ref):
        return np.ones(people.n)
    last = np.searchsorted(window.first_day, people.death, side="right") - 1
    last = np.where(people.death >= 0, last, len(window.labels))
    return (ref[None, :] <= last[:, None]).mean(1)


def incomes(rng: np.random.Generator, region: Region, people: People, dis: Disability,
            window: Window) -> tuple[Streams, np.ndarray]:
    """Income streams of every person, and the household welfare z-scores (for assets, travel)."""
    cal = calibration()
    law, lab, pov = cal["law"], cal["labour"], cal["poverty"]
    n, nh, hh = people.n, people.n_households, people.hh
    age, male = people.age, people.male
    retired = pension_age(people)
    working_age = (age >= 18) & ~retired
    student = (age < lab["student_age"] + 1) & (rng.random(n) < lab["student_share"])
    p_work = np.where(male, lab["employment"]["M"], lab["employment"]["F"])
    grp = dis.group
    dis_factor = np.where(grp >= 0, np.array([lab["disabled_employment"][g] for g in ("1", "2", "3", "child")])[grp], 1.0)
    earner = working_age & ~student & (rng.random(n) < p_work * dis_factor)
    earner |= retired & (age < 70) & (rng.random(n) < lab["working_pensioners"])

    alive = alive_in_reference(people, window)
    (spf_who, uapf_who), (spf, uapf) = _pensions(rng, people, retired)
    ben_who, ben = _disability_benefits(people, dis, retired)
    floor = np.zeros(nh)
    kept_floor = np.zeros(nh)
    for who, amt in ((spf_who, spf), (uapf_who, uapf), (ben_who, ben)):
        np.add.at(floor, hh[who], amt[2026])
        np.add.at(kept_floor, hh[who], amt[2026] * alive[who])

    # split of what is above the floor: alimony and rent to the head for some, the rest among
    # earners by lognormal weights (men and people below pension age earn more)
    u = rng.standard_normal(nh)
    head = people.start
    alimony_part = np.where((people.htype == SINGLE_PARENT) & (rng.random(nh) < 0.35), 0.2, 0.0)
    rent_part = np.where((u > 0.8) & (rng.random(nh) < 0.15), 0.15, 0.0)
    weight = np.where(earner, np.exp(0.5 * rng.standard_normal(n)) * np.where(male, 1.3, 1.0)
                      * np.where(retired, 0.6, 1.0), 0.0)
    wsum = np.bincount(hh, weight, nh)
    has_earner = wsum > 0
    share = np.where(earner, weight / np.where(wsum > 0, wsum, 1)[hh], 0)
    kept_earned = np.where(has_earner, np.bincount(hh, share * alive, nh), alive[head])
    earned_part = 1 - alimony_part - rent_part
    kept_share = (alimony_part + rent_part) * alive[head] + earned_part * kept_earned

    # welfare: lognormal per capita, median solved from the regional poverty rate
    sigma = pov["welfare_sigma"]["city" if region.profile == "city" else "value"]
    mu = solve_median(u, people.size, floor, kept_floor, kept_share, sigma, pov["line"], region.poverty)
    rest = np.maximum(np.exp(mu + sigma * u) * people.size - floor, 0)
    alimony, rent, earned = alimony_part * rest, rent_part * rest, earned_part * rest
    pay = share * earned[hh]
    mzp, mci = law["minimum_wage"][2026], law["mci"][2026]
    kind = np.searchsorted(np.cumsum(list(lab["earned_kind"].values())), rng.random(n) * sum(lab["earned_kind"].values()),
                           side="right").clip(0, 2)
    kind = np.where((kind == WAGE) & (pay < mzp), SELF, kind)                 # informal: below the minimum wage
    kind = np.where((kind == SELF) & (pay > law["self_employed_limit_mci"] * mci), BUSINESS, kind)
    works = earner & (pay >= 1000)
    growth = pov["wage_growth_2025"]["value"]

    parts = []

    def add(who, k, src, amt26, amt25, noisy):
        parts.append((who, np.full(len(who), k), np.full(len(who), src), amt26, amt25, np.full(len(who), noisy)))

    w = np.flatnonzero(works)
    add(w, -1, SGD, pay[w], pay[w] * growth, True)                            # kind filled below
    add(spf_who, PENSION, SPF, spf[2026], spf[2025], False)
    add(uapf_who, PENSION, UAPF, uapf[2026], uapf[2025], False)
    child = age[ben_who] < 18                 # a disabled child's benefit is a kind of its own: TSA does not count it
    add(ben_who[~child], BENEFIT, EGOV, ben[2026][~child], ben[2025][~child], False)
    add(ben_who[child], DISABLED_CHILD, EGOV, ben[2026][child], ben[2025][child], False)
    # households without earners: transfers and informal income to the head, capped at twice the
    # poverty line per person (a cap that never moves anyone across the line)
    other = np.minimum(earned, np.maximum(2 * pov["line"] * people.size - floor, 0))
    h = np.flatnonzero(~has_earner & (other >= 1000))
    add(head[h], OTHER, SGD, other[h], other[h] * growth, True)
    h = np.flatnonzero(alimony >= 1000)
    add(head[h], ALIMONY, EGOV, alimony[h], alimony[h], False)
    h = np.flatnonzero(rent >= 1000)
    add(head[h], RENT, SGD, rent[h], rent[h], True)

    person = np.concatenate([p[0] for p in parts])
    knd = np.concatenate([p[1] for p in parts])
    knd[: len(w)] = kind[w]
    src = np.concatenate([p[2] for p in parts])
    a26 = np.concatenate([p[3] for p in parts])
    a25 = np.concatenate([p[4] for p in parts])
    noisy = np.concatenate([p[5] for p in parts])

    # wage earners who started during the window start before the reference quarter
    first = np.zeros(len(person), np.int64)
    ref_start = int(np.argmax(window.reference)) if window.reference.any() else len(window.labels)
    late = (knd == WAGE) & (rng.random(len(person)) < lab["started_in_window"]) & (ref_start > 1)
    first[late] = rng.integers(1, max(ref_start, 2), int(late.sum()))
    return Streams(person, knd, src, {2025: a25, 2026: a26}, noisy, first,
                   np.full(len(person), -1), np.full(len(person), -1)), u
