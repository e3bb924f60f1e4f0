"""Kazakhstan as data: its identifiers (IIN, BIN), its regions (KATO), official statistics and
the registry extract contract, which the country-neutral contract package reads with them."""
from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml

from komek.contract import CodeList, Contract, Identifier, load_contract
from komek.contract.docs import to_markdown
from komek.kz import iin

__all__ = ["contract", "contract_markdown", "regions", "statistics", "total_population"]


@cache
def regions() -> dict[str, dict]:
    """KATO region code -> {name, name_ru, name_kk, population, confirmed}."""
    return yaml.safe_load(files(__package__).joinpath("regions.yaml").read_text("utf-8"))["regions"]


def total_population() -> int:
    """The country's population on regions.yaml's `population_date`."""
    return int(yaml.safe_load(files(__package__).joinpath("regions.yaml").read_text("utf-8"))["total_population"])


@cache
def statistics() -> dict:
    """Official statistics to compare with (poverty rates, statistical subsistence minimum)."""
    return yaml.safe_load(files(__package__).joinpath("statistics.yaml").read_text("utf-8"))


@cache
def contract() -> Contract:
    """The registry extract contract (contract.yaml) with Kazakhstan's identifiers and regions."""
    identifiers = {
        "iin": Identifier("IIN", "IIN: 12 digits, valid check digit", iin.valid_expr,
                          encodes={"birth_date": iin.birth_date_expr, "sex": iin.sex_expr}),
        "bin": Identifier("BIN", "BIN: 12 digits, valid check digit", iin.valid_expr),
    }
    code_lists = {"region": CodeList("KATO region code, 2 digits (see below)", tuple(regions()))}
    return load_contract(files(__package__).joinpath("contract.yaml"), identifiers, code_lists)


def contract_markdown() -> str:
    """docs/data-contract.md: the contract, then the region codes."""
    rows = "".join(f"| {code} | {r['name']} ({r['name_ru']}) | {r['population']:,} | {'yes' if r['confirmed'] else 'estimate'} |\n"
                   for code, r in regions().items())
    return to_markdown(contract(), "\n## Region codes (KATO)\n\n| code | region | population 1 Jan 2026 | confirmed |\n"
                                   "|---|---|---|---|\n" + rows)
