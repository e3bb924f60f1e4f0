"""The country-neutral rules engine: entities, variables, dated parameters, vectorized simulation,
explanations and reforms. It knows nothing of any country; a country's standard is data plus
small formula modules built on it (see komek.kz.standard)."""
from komek.engine.parameters import ParameterSet, Scale
from komek.engine.ruleset import RuleSet
from komek.engine.simulation import Simulation, round_money
from komek.engine.variables import Entity, Variable
from komek.errors import InputError, ParameterError, RuleError

__all__ = ["Entity", "InputError", "ParameterError", "ParameterSet", "RuleError", "RuleSet", "Scale",
           "Simulation", "Variable", "round_money"]
