"""A synthetic Kazakhstan: households, people and every registry table of the extract contract."""
from .generator import TABLES, GenerationSummary, generate

__all__ = ["TABLES", "GenerationSummary", "generate"]
