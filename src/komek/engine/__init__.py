"""The country-neutral rules engine: entities, variables, dated parameters, vectorized simulation,
explanations and reforms. It knows nothing of any country; a country's standard is data plus
small formula modules built on it (see komek.kz.standard)."""
from komek.engine.parameters import ParameterError, ParameterSet, Scale
from komek.engine.ruleset import RuleError, RuleSet
from komek.engine.simulation import InputError, Simulation, round_money
from komek.engine.variables import Entity, Variable

__all__ = ["Entity", "InputError", "ParameterError", "ParameterSet", "RuleError", "RuleSet", "Scale",
           "Simulation", "Variable", "round_money"]
