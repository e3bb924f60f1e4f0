"""The extract contract (tables, columns, types, codes) and the validation that enforces it.
Country-neutral: a country's identifiers and code lists are given to `load_contract`."""
from komek.contract.schema import CodeList, Column, Contract, Identifier, Table, load_contract

__all__ = ["CodeList", "Column", "Contract", "Identifier", "Table", "load_contract"]
