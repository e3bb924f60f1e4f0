"""The generator's numbers, read from calibration.yaml and names.yaml (data, not code)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np
import yaml

from komek.kz import regions as kz_regions


@cache
def calibration() -> dict:
    return yaml.safe_load(files(__package__).joinpath("calibration.yaml").read_text("utf-8"))


@dataclass(frozen=True)
class Names:
    """Vocabularies: first names (male Kazakh, male Russian, female Kazakh, female Russian),
    surnames as [masculine, feminine] pairs, patronymics as [son, daughter] per male name."""
    first: list[str]
    surnames: list[str]
    patronymics: list[str]
    male: dict[str, tuple[int, int]]      # ethnicity -> (offset, count) in `first` (= father index)
    female: dict[str, tuple[int, int]]
    roots: dict[str, tuple[int, int]]     # ethnicity -> (offset, count) of surname roots


@cache
def names() -> Names:
    spec = yaml.safe_load(files(__package__).joinpath("names.yaml").read_text("utf-8"))
    first, patr, surnames = [], [], []
    male, female, roots = {}, {}, {}
    for eth in ("kazakh", "russian"):
        male[eth] = (len(first), len(spec[eth]["male"]))
        for name, forms in spec[eth]["male"].items():
            first.append(name)
            patr.extend(forms)
    for eth in ("kazakh", "russian"):
        female[eth] = (len(first), len(spec[eth]["female"]))
        first.extend(spec[eth]["female"])
    for eth in ("kazakh", "russian"):
        roots[eth] = (len(surnames) // 2, len(spec[eth]["surnames"]))
        for s in spec[eth]["surnames"]:
            surnames.extend([s, s + "а"])
    return Names(first, surnames, patr, male, female, roots)


@dataclass(frozen=True)
class Region:
    code: str
    index: int            # position in regions.yaml: selects the region's IIN/BIN serial block
    name: str
    population: int
    urban: float
    size: float           # mean household size
    profile: str
    kazakh: float
    poverty: float


def regions() -> list[Region]:
    cal = calibration()
    out = []
    for i, (code, r) in enumerate(kz_regions().items()):
        c = cal["regions"][code]
        out.append(Region(code, i, r["name"], int(r["population"]), float(c["urban"]), float(c["size"]),
                          c["profile"], float(c["kazakh"]), float(cal["poverty"]["rates"][code])))
    return out


def household_counts(total: int) -> dict[str, int]:
    """Households per region so that persons follow the population: population / mean size,
    scaled to `total` with largest-remainder rounding."""
    regs = regions()
    w = np.array([r.population / r.size for r in regs])
    exact = w / w.sum() * total
    n = np.floor(exact).astype(int)
    rest = total - n.sum()
    n[np.argsort(-(exact - n), kind="stable")[:rest]] += 1
    return {r.code: int(k) for r, k in zip(regs, n)}
