"""Distributional analysis: income deciles, poverty headcount and gap, and the Gini coefficient
over weighted households, for what a reform does to whom."""
from komek.analytics.distribution import deciles, gini, poverty

__all__ = ["deciles", "gini", "poverty"]
