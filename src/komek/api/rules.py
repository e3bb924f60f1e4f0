"""The rules over HTTP, in the shapes of OpenFisca's web API: calculate and trace a situation
(the format of `komek calc`), the parameters, the variables, the measures."""
from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from komek.services import rules
from komek.services.calc import Situation, calculate
from komek.services.whatif import what_if

router = APIRouter(tags=["rules"])
NOT_FOUND = {404: {"description": "No such parameter or variable"}}
INVALID = {422: {"description": "The situation is not valid: every problem with its JSON path"}}


@router.post("/calculate", summary="Every measure's monthly amount for a household and each member", responses=INVALID)
def calculate_situation(situation: Situation) -> dict:
    """The amounts `komek calc` gives for the same situation, with the rules version, the
    assumptions used and the warnings (a date past the parameters' last known values)."""
    result = calculate(situation)
    result.pop("explanation_text", None)
    return result


@router.post("/calculate/what-if", summary="What would change the decision: the nearest change turning each measure on or off",
             responses=INVALID)
def what_if_situation(situation: Situation) -> dict:
    """For each support measure: its amount now and, for each lever its inputs depend on (the
    head's wage, the number of children, the home's area, its utility costs), the nearest value
    that turns it on (or off), exact to the unit and verified by computing the changed situation."""
    return what_if(situation)


@router.post("/trace", summary="The amounts and why: every value, parameter and article", responses=INVALID)
def trace(situation: Situation, lang: Literal["en", "kk", "ru"] = Query("en", description="Language of the summary sentences")) -> dict:
    """As /calculate, with the explanation (`komek calc --explain`) and the same as readable text;
    the explanation starts with its summary: per measure, the amount, the comparison that decided
    it and the article, in English, Kazakh or Russian."""
    return calculate(situation, with_explanation=True, lang=lang)


@router.get("/parameters", summary="Every parameter with its latest value")
def list_parameters() -> list[dict]:
    return rules.parameters()


@router.get("/parameters/{name}", summary="One parameter: every dated value with its source", responses=NOT_FOUND)
def get_parameter(name: str) -> dict:
    return rules.parameter(name)


@router.get("/variables", summary="Every variable of the rules")
def list_variables() -> list[dict]:
    return rules.variables()


@router.get("/variables/{name}", summary="One variable: entity, period, inputs, formula's parameters, reference",
            responses=NOT_FOUND)
def get_variable(name: str) -> dict:
    return rules.variable(name)


@router.get("/measures", summary="The support measures and contributions")
def list_measures() -> list[dict]:
    return rules.measures()
