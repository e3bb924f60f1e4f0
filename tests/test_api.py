"""The HTTP API: system routes, the rules endpoints against `komek calc` on the law cases, errors
that name the field, the rules version on every response, and the committed OpenAPI document."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from komek.api import create_app
from komek.api.limits import nesting
from komek.kz.standard import rules_version, standard
from komek.services.calc import calculate
from komek.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CASES = [case for path in sorted((ROOT / "tests" / "cases").glob("*.yaml")) for case in yaml.safe_load(path.read_text("utf-8"))]
SITUATION = next(c["situation"] for c in CASES if c["expect"].get("household", {}).get("tsa"))


def client(database: str | None = None, tmp: Path | None = None) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp or ROOT / "komek-data", database_url=database)))


@pytest.fixture(scope="module")
def api() -> TestClient:
    return client("sqlite:///:memory:")


def plain(data):
    """A situation with its dates as ISO text, as a client sends it."""
    return json.loads(json.dumps(data, default=str))


def test_health_and_the_rules_version_on_every_response(api):
    r = api.get("/api/v1/health")
    assert r.status_code == 200 and r.json()["rules_version"] == rules_version()
    for response in (r, api.get("/api/v1/parameters/no.such"), api.post("/api/v1/calculate", json={}),
                     api.get("/api/v1/measures")):
        assert response.headers["komek-rules-version"] == rules_version()
        assert response.headers["komek-version"]


def test_ready_only_with_a_current_schema(database_url, tmp_path):
    from komek.registry import migrate
    r = client(database_url, tmp_path).get("/api/v1/ready")
    assert r.status_code == 503 and "no registry schema" in r.json()["reason"]
    migrate(database_url)
    r = client(database_url, tmp_path).get("/api/v1/ready")
    assert r.status_code == 200 and r.json()["status"] == "ready" and r.json()["schema"]
    assert client("postgresql+psycopg://postgres@127.0.0.1:1/test", tmp_path).get("/api/v1/ready").status_code == 503


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_calculate_is_komek_calc_on_the_law_cases(api, case):
    r = api.post("/api/v1/calculate", json=plain(case["situation"]))
    assert r.status_code == 200, r.text
    expected = calculate(case["situation"])
    expected.pop("explanation_text", None)
    assert r.json() == json.loads(json.dumps(expected))


def test_trace_explains_to_the_article(api):
    r = api.post("/api/v1/trace", json=plain(SITUATION))
    assert r.status_code == 200
    body = r.json()
    assert body["explanation"]["variables"]["tsa"]["reference"] and "tsa" in body["explanation_text"]
    params = [p for node in body["explanation"]["variables"].values() for p in node.get("parameters", [])]
    assert params and all(p["source"] and "confirmed" in p for p in params)


def test_an_invalid_situation_names_each_path(api):
    bad = plain(SITUATION)
    bad["household"]["members"][0]["birth_date"] = "1988-02-30"
    bad["household"]["members"][1]["role"] = "cousin"
    bad["region_code"] = "99"
    r = api.post("/api/v1/calculate", json=bad)
    assert r.status_code == 422
    paths = {p["path"] for p in r.json()["detail"]}
    assert {"household.members[0].birth_date", "household.members[1].role", "region_code"} <= paths
    unknown = dict(plain(SITUATION), parameters={"tsa.nope": 1})
    r = api.post("/api/v1/calculate", json=unknown)
    assert r.status_code == 422 and r.json()["detail"] == [{"path": "parameters.tsa.nope", "message": "unknown parameter"}]
    assert api.post("/api/v1/calculate", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422


def test_an_oversized_body_is_refused(api):
    r = api.post("/api/v1/calculate", content=b" " * 1_000_001, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["Komek-Version"]
    chunked = api.post("/api/v1/calculate", content=iter([b" " * 600_000] * 2), headers={"content-type": "application/json"})
    assert chunked.status_code == 413          # no declared length: counted as it comes


def test_a_body_nested_too_deep_is_refused_and_a_normal_one_passes(api):
    deep = b'{"a":' * 40 + b"1" + b"}" * 40
    r = api.post("/api/v1/calculate", content=deep, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"] == [{"path": "(body)", "message": "nested deeper than 32 levels"}]
    tricky = json.dumps({**SITUATION, "note": "[" * 100}, default=str).encode()     # brackets in a string are text
    assert "nested" not in api.post("/api/v1/calculate", content=tricky, headers={"content-type": "application/json"}).text
    assert nesting(b'{"a": [1, {"b": "]]]"}], "c": "\\"}') == 3 and nesting(b"[[[]]]") == 3


def test_a_nul_character_is_refused_wherever_it_comes(api):
    nul = [{"path": part, "message": "contains a NUL character"} for part in ("(path)", "(query)", "(body)")]
    assert api.get("/api/v1/households/H1%00").json()["detail"] == nul[:1]
    assert api.get("/api/v1/parameters?x=%00").json()["detail"] == nul[1:2]
    body = json.dumps({**SITUATION, "note": "a\x00b"}, default=str).encode()
    r = api.post("/api/v1/calculate", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"] == nul[2:]


def test_parameters_with_every_dated_value_and_its_source(api):
    listed = api.get("/api/v1/parameters").json()
    assert {p["name"] for p in listed} == set(standard().parameters.names())
    mci = api.get("/api/v1/parameters/mci").json()
    assert mci["renewed"] == "yearly" and [v["from"] for v in mci["values"]][:1] == ["2023-01-01"]
    assert all(v["source"] and isinstance(v["confirmed"], bool) for v in mci["values"])
    assert api.get("/api/v1/parameters/tsa.poverty_line.median_share").status_code == 200
    assert api.get("/api/v1/parameters/no.such").status_code == 404


def test_variables_and_measures(api):
    names = {v["name"] for v in api.get("/api/v1/variables").json()}
    assert names == set(standard().variables)
    tsa = api.get("/api/v1/variables/tsa").json()
    assert tsa["entity"] == "household" and tsa["reference"] and "income_wage" in tsa["needs"]
    assert api.get("/api/v1/variables/income_wage").json()["origin"] == {"table": "incomes"}
    assert "not_known" in api.get("/api/v1/variables/uapf_savings").json()["origin"]
    assert api.get("/api/v1/variables/no_such").status_code == 404
    kinds = {m["name"]: m["kind"] for m in api.get("/api/v1/measures").json()}
    assert kinds["opv"] == "contribution" and kinds["tsa"] == "benefit"


def test_openapi_document_is_committed(api):
    """docs/openapi.json is the served document; regenerate it when the API changes:
    python -c "import json; from komek.api import create_app; print(json.dumps(create_app().openapi(), indent=2, ensure_ascii=False))" > docs/openapi.json
    """
    served = api.get("/api/v1/openapi.json").json()
    assert json.loads((ROOT / "docs" / "openapi.json").read_text("utf-8")) == served


def test_what_if_finds_the_threshold_to_the_tenge_and_verifies_it(api):
    """The single mother of the TSA case: line 46,200 a person, two people; at a wage of 92,400
    the per-capita income reaches the line and TSA stops; at 92,399 it is still paid."""
    r = api.post("/api/v1/calculate/what-if", json=plain(SITUATION))
    assert r.status_code == 200
    tsa = next(m for m in r.json()["measures"] if m["measure"] == "tsa")
    assert tsa["amount"] == 2400 and tsa["turns"] == "off"
    wage = next(c for c in tsa["changes"] if c["lever"] == "head_wage")
    assert (wage["now"], wage["to"], wage["amount_then"], wage["per_capita_income_then"]) == (90000, 92400, 0, 46200)
    below = plain(SITUATION)
    below["household"]["members"][0]["incomes"]["wage"] = 92399
    assert calculate(below)["household"]["tsa"] > 0
    for m in r.json()["measures"]:             # every change reported was checked by recomputation
        for c in m["changes"]:
            assert c["verified"] and (c["amount_then"] > 0) != m["paid"]


def test_calc_what_if_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from komek.cli import app
    path = tmp_path / "s.json"
    path.write_text(json.dumps(plain(SITUATION)))
    out = CliRunner().invoke(app, ["calc", str(path), "--what-if"])
    assert out.exit_code == 0, out.output
    assert any(m["measure"] == "tsa" and m["changes"] for m in json.loads(out.output)["measures"])


def test_iins_are_masked_in_the_server_logs(api, caplog):
    iin = "900101300001"
    with caplog.at_level(logging.INFO):
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET",
                                                 f"/api/v1/persons/{iin}?month=2026-10", "1.1", 200)
        logging.getLogger("uvicorn.error").info(f"search for iin={iin}")
        try:
            raise ValueError(f"person {iin}")
        except ValueError:
            logging.getLogger("uvicorn.error").exception("failed")
    assert iin not in caplog.text and "********0001" in caplog.text
    assert all(iin not in (r.exc_text or "") for r in caplog.records)
