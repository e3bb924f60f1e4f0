"""A small OpenFisca tax-benefit system for Kazakhstan with four of Komek's measures (TSA, housing
assistance, disability benefit, large-family benefit), to compare the two engines on the same data.

    from openfisca_kz import parameters, system, simulation
    parameters.write(folder)                       # OpenFisca YAML from Komek's parameters
    tbs = system(folder)
    sim = simulation(tbs, persons, households, group_of, "2026-10")   # the engine's arrays (Prepared.engine)
    sim.calculate("tsa", "2026-10")
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from openfisca_core.indexed_enums import Enum
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

from .entities import entities
from .variables import VARIABLES

MEASURES = ("tsa", "housing_assistance", "disability_benefit", "large_family_benefit")


def system(parameters_dir: Path) -> TaxBenefitSystem:
    tbs = TaxBenefitSystem(entities)
    tbs.add_variables(*VARIABLES)
    tbs.load_parameters(str(parameters_dir))
    return tbs


def _encode(values: np.ndarray, index: dict, what: str) -> np.ndarray:
    """Codes -> integer indices (a dictionary look-up per value: faster than comparing object arrays)."""
    try:
        return np.fromiter(map(index.__getitem__, values), dtype=np.int16, count=len(values))
    except KeyError as e:
        raise ValueError(f"{what}: unknown code {e.args[0]!r}") from None


def simulation(tbs: TaxBenefitSystem, persons: dict, households: dict, group_of: np.ndarray, period: str):
    """A simulation over the engine's arrays (`Prepared.engine`, or frames.arrays) (persons sorted by household)."""
    builder = SimulationBuilder()
    builder.create_entities(tbs)
    builder.declare_person_entity("person", np.arange(len(group_of)))
    household = builder.declare_entity("household", np.arange(len(households["region_code"])))
    roles = {role.key: i for i, role in enumerate(household.entity.flattened_roles)}
    builder.join_with_persons(household, group_of, _encode(persons["role"], roles, "role"))
    sim = builder.build(tbs)
    for name, values in {**persons, **households}.items():
        if name not in tbs.variables:        # inputs the four measures do not read (role is the membership)
            continue
        variable = tbs.variables[name]
        if variable.value_type is Enum:
            values = _encode(values, {member.value: member.index for member in variable.possible_values}, name)
        sim.set_input(name, period, values)
    return sim
