"""Persons, grouped in households with the roles Komek's registry extract records."""
from openfisca_core.entities import build_entity

Household = build_entity(
    key="household",
    plural="households",
    label="Household",
    roles=[{"key": role, "label": role.capitalize()} for role in ("head", "spouse", "child", "parent", "other")],
)

Person = build_entity(key="person", plural="persons", label="Person", is_person=True)

entities = [Household, Person]
