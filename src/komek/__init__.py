"""Komek: a platform for the social sector."""
__version__ = "0.1.0"
