"""Household scoring: the vulnerability index (levels A-E), the proxy means test, its
explanations and fairness, and the targeting of the standard's measures."""
