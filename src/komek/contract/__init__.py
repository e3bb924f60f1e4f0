"""The extract contract (tables, columns, types, codes) and the validation that enforces it."""
from komek.contract.schema import Column, Contract, Table, load_contract

__all__ = ["Column", "Contract", "Table", "load_contract"]
