"""Kazakhstan: identifiers, regions and the registry extract contract as data."""
from functools import cache
from importlib.resources import files

import yaml


@cache
def regions() -> dict[str, dict]:
    """KATO region code -> {name, name_ru, population, confirmed}."""
    return yaml.safe_load(files(__package__).joinpath("regions.yaml").read_text("utf-8"))["regions"]


@cache
def statistics() -> dict:
    """Official statistics to compare with (poverty rates, statistical subsistence minimum)."""
    return yaml.safe_load(files(__package__).joinpath("statistics.yaml").read_text("utf-8"))
