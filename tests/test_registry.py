"""The registry database: models against the contract, migrations, and ingestion on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import io
import json
import sys
from decimal import Decimal

import polars as pl
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from rich.console import Console
from sqlalchemy import Boolean, Date, Float, Integer, Numeric, String, func, inspect, select

from komek.cli.render import ingestion_table
from komek.contract.validate import validate_extract
from komek.errors import ContractError, SchemaError
from komek.kz import contract, iin
from komek.registry import engine, ingest, migrate
from komek.registry.db import alembic_config, ours
from komek.registry.models import RECORDS, Base, Ingestion, QuarantinedRow

SQL_TYPES = {"iin": String, "bin": String, "string": String, "code": String, "region": String, "month": String,
             "quarter": String, "date": Date, "money": Numeric, "number": Float, "integer": Integer, "boolean": Boolean}


def _iin(birth: dt.date, sex: str, serial: int = 100) -> str:
    while (number := iin.make(birth, sex, serial)) is None:
        serial += 1
    return number


def _bin(head: str) -> str:
    while (c := iin.check_digit(head)) is None:
        head = str(int(head) + 1)
    return head + str(c)


MOTHER, FATHER, CHILD = _iin(dt.date(1988, 5, 1), "F"), _iin(dt.date(1985, 3, 12), "M"), _iin(dt.date(2015, 7, 20), "M")
EMPLOYER = _bin("05014000123")


def extract_rows() -> dict[str, list[dict]]:
    """One family with a row in every contract table; money chosen to catch float round trips."""
    return {
        "persons": [
            dict(iin=MOTHER, birth_date="1988-05-01", sex="F", death_date=None, citizenship="KAZ",
                 last_name="Ахметова", first_name="Айгерим", patronymic="Серикқызы"),
            dict(iin=FATHER, birth_date="1985-03-12", sex="M", death_date=None, citizenship="KAZ",
                 last_name="Ахметов", first_name="Ерлан", patronymic=None),
            dict(iin=CHILD, birth_date="2015-07-20", sex="M", death_date=None, citizenship="KAZ",
                 last_name="Ахметов", first_name="Нурлан", patronymic="Ерланұлы")],
        "households": [
            dict(household_id="H-0001", iin=MOTHER, role="head", from_date="2014-06-01", to_date=None),
            dict(household_id="H-0001", iin=FATHER, role="spouse", from_date="2014-06-01", to_date=None),
            dict(household_id="H-0001", iin=CHILD, role="child", from_date="2015-07-20", to_date=None)],
        "addresses": [
            dict(iin=MOTHER, region_code="71", locality_code="711000000", urban="true",
                 registered_from="2014-06-01", registered_to=None),
            dict(iin=FATHER, region_code="75", locality_code="751110000", urban="false",
                 registered_from="2010-01-15", registered_to="2014-05-31")],
        "incomes": [
            dict(iin=MOTHER, month="2026-01", kind="wage", amount="350000.50", source="SGD"),
            dict(iin=MOTHER, month="2026-02", kind="wage", amount="0.07", source="SGD"),
            dict(iin=FATHER, month="2026-01", kind="pension", amount="999999999999.99", source="UAPF"),
            dict(iin=FATHER, month="2026-01", kind="benefit", amount="0.01", source="EGOV"),
            dict(iin=FATHER, month="2026-02", kind="rent", amount="1234567.89", source="SGD")],
        "contributions": [dict(iin=MOTHER, month="2026-01", opv="35000.05", opvr="1750.10", employer_bin=EMPLOYER)],
        "disability": [dict(iin=CHILD, group="child", cause="childhood", valid_from="2020-01-10", valid_to=None,
                            exam_id="EX-1")],
        "medical_exams": [dict(exam_id="EX-1", iin=CHILD, exam_date="2020-01-05", outcome="child")],
        "housing": [dict(household_id="H-0001", quarter="2026-Q1", area_m2="54.3", tenure="own", only_home="true",
                         utilities="12345.67", maintenance="2500.00", communication="4990.90", rent="0")],
        "assets": [dict(asset_id="V-777", iin=FATHER, kind="vehicle", value="4500000.00", acquired="2019-09-09",
                        disposed=None)],
        "employment": [dict(iin=MOTHER, employer_bin=EMPLOYER, start_date="2018-02-01", end_date=None,
                            occupation_code="2341", region_code="71", wage="350000.50")],
        "payments": [dict(payment_id="P-1", iin=MOTHER, household_id="H-0001", measure="tsa", month="2026-02",
                          amount="28125.33", region_code="71")],
        "border_crossings": [dict(iin=FATHER, date="2025-12-30", direction="exit")],
        "jobseekers": [dict(iin=FATHER, region_code="75", occupation_code="8322", registered="2026-01-20",
                            status="registered", wage=None)],
        "vacancies": [dict(vacancy_id="VAC-9", employer_bin=EMPLOYER, region_code="71", occupation_code="8322",
                           posted="2026-01-05", status="open", wage="280000.00")],
        "injuries": [dict(case_id="INJ-1", employer_bin=EMPLOYER, iin=FATHER, date="2024-04-04", severity="light",
                          occupation_code=None)],
    }


def write_extract(folder, tables: dict[str, list[dict]], as_of: str | None = "2026-03-01", drop: tuple = ()):
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        frame = pl.DataFrame(rows, schema={c: pl.String for c in rows[0]}).drop(*[c for t, c in drop if t == name])
        if name == "incomes":    # one table as Parquet: both formats travel the same path
            frame.write_parquet(folder / f"{name}.parquet")
        else:
            frame.write_csv(folder / f"{name}.csv")
    if as_of:
        (folder / "manifest.json").write_text(json.dumps({"extract_id": f"test-{as_of}", "as_of": as_of}))
    return folder


def snapshot(url: str) -> dict[str, dict]:
    """Every contract table as {key: row}, with extract_as_of."""
    out = {}
    with engine(url).connect() as conn:
        for name, model in RECORDS.items():
            spec = contract().tables[name]
            rows = conn.execute(select(model.__table__)).mappings().all()
            out[name] = {tuple(r[k] for k in spec.key): dict(r) for r in rows}
    return out


def test_models_match_the_contract():
    spec_of = contract()
    assert set(RECORDS) == set(spec_of.tables)
    for name, spec in spec_of.tables.items():
        table = Base.metadata.tables[name]
        assert set(table.columns.keys()) == set(spec.columns) | {"extract_as_of"}, name
        assert {c.name for c in table.primary_key} == set(spec.key), name
        for col in spec.columns.values():
            sql = table.columns[col.name]
            assert isinstance(sql.type, SQL_TYPES[col.type]), f"{name}.{col.name}"
            assert sql.nullable is not col.required, f"{name}.{col.name}"
            if col.type == "money":
                assert (sql.type.precision, sql.type.scale, sql.type.asdecimal) == (14, 2, True)
        if "iin" in spec.columns:     # iin lookups use an index: the primary key's or their own
            indexed = {tuple(c.name for c in i.columns)[0] for i in table.indexes} | {spec.key[0]}
            assert "iin" in indexed, name


def test_migrations_twice_match_the_models(database_url):
    migrate(database_url)
    migrate(database_url)
    with engine(database_url).connect() as conn:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all() == [head]
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True, "include_name": ours}),
                                Base.metadata) == []
        assert set(inspect(conn).get_table_names()) >= set(RECORDS) | {"ingestions", "quarantine", "jobs"}


def test_round_trip_is_exact(registry_url, tmp_path):
    folder = write_extract(tmp_path / "extract", extract_rows())
    calls = []
    report = ingest(folder, registry_url, contract(), progress=lambda *a: calls.append(a), report_dir=tmp_path / "out")
    assert report.status == "succeeded" and report.as_of == "2026-03-01" and report.extract_id == "test-2026-03-01"
    assert calls[0] == ("ingest: validated", 0, 15) and calls[-1] == ("ingest: injuries", 15, 15) and len(calls) == 16
    assert report.totals["inserted"] == report.totals["rows_read"] == 24
    assert report.totals["quarantined"] == report.totals["unknown_persons"] == 0

    stored = snapshot(registry_url)
    for name, result in validate_extract(folder, contract()).tables.items():
        spec = contract().tables[name]
        expected = {tuple(r[k] for k in spec.key): r for r in result.valid.iter_rows(named=True)}
        got = {k: {c: v for c, v in row.items() if c != "extract_as_of"} for k, row in stored[name].items()}
        assert got == expected, name
        assert {row["extract_as_of"] for row in stored[name].values()} == {dt.date(2026, 3, 1)}
    amounts = {k[2]: v["amount"] for k, v in stored["incomes"].items() if k[0] == FATHER}
    assert [str(amounts[k]) for k in ("pension", "benefit", "rent")] == ["999999999999.99", "0.01", "1234567.89"]
    assert stored["addresses"][(FATHER, dt.date(2010, 1, 15))]["urban"] is False
    assert stored["housing"][("H-0001", "2026-Q1")]["area_m2"] == 54.3

    saved = json.loads((tmp_path / "out" / "ingestion-report.json").read_text())
    assert saved["totals"]["inserted"] == 24 and (tmp_path / "out" / "ingestion-report.md").exists()
    console = Console(file=io.StringIO(), width=160)
    console.print(ingestion_table(report))
    assert "incomes" in console.file.getvalue()


def test_bad_rows_are_quarantined_and_the_rest_loads(registry_url, tmp_path):
    rows = extract_rows()
    rows["persons"].append(dict(rows["persons"][0], iin=MOTHER[:-1] + str((int(MOTHER[-1]) + 1) % 10)))
    rows["addresses"].append(dict(rows["addresses"][0], iin=CHILD, region_code="99"))
    rows["households"].append(dict(rows["households"][0], household_id="H-0002", from_date="2021-02-30"))
    rows["incomes"].append(dict(rows["incomes"][0], month="2026-03", amount="-5.00"))
    stranger = _iin(dt.date(1970, 1, 1), "F")      # valid, but not in persons: loaded with a warning
    rows["incomes"].append(dict(rows["incomes"][0], iin=stranger))
    report = ingest(write_extract(tmp_path / "extract", rows), registry_url, contract(), report_dir=tmp_path)

    t = report.tables
    assert (t["persons"].quarantined, t["addresses"].quarantined, t["households"].quarantined,
            t["incomes"].quarantined) == (1, 1, 1, 1)
    assert t["persons"].reasons == {"iin: IIN check digit is wrong": 1}
    assert t["addresses"].reasons == {"region_code: unknown region code": 1}
    assert t["households"].reasons == {"from_date: not a real date (YYYY-MM-DD)": 1}
    assert t["incomes"].reasons == {"amount: negative amount": 1}
    assert t["incomes"].unknown_persons == 1 and t["incomes"].inserted == 6
    assert report.totals["quarantined"] == 4 and report.totals["inserted"] == 25

    with engine(registry_url).connect() as conn:
        stored = conn.execute(select(QuarantinedRow.table_name, QuarantinedRow.row, QuarantinedRow.reason,
                                     QuarantinedRow.record, QuarantinedRow.ingestion_id)).all()
        ingestion = conn.execute(select(Ingestion)).one()
    assert sorted((r.table_name, r.row, r.reason) for r in stored) == [
        ("addresses", 3, "region_code: unknown region code"),
        ("households", 4, "from_date: not a real date (YYYY-MM-DD)"),
        ("incomes", 6, "amount: negative amount"),
        ("persons", 4, "iin: IIN check digit is wrong")]
    assert {json.loads(r.record)["from_date"] for r in stored if r.table_name == "households"} == {"2021-02-30"}
    assert {r.ingestion_id for r in stored} == {ingestion.id} and ingestion.status == "succeeded"
    assert json.loads(ingestion.report)["totals"]["quarantined"] == 4
    assert len(snapshot(registry_url)["persons"]) == 3


def test_reingest_is_idempotent_and_newer_extracts_win(registry_url, tmp_path):
    rows = extract_rows()
    first = ingest(write_extract(tmp_path / "march", rows), registry_url, contract(), report_dir=tmp_path)
    before = snapshot(registry_url)

    again = ingest(write_extract(tmp_path / "march", rows), registry_url, contract(), report_dir=tmp_path)
    assert again.totals["inserted"] == again.totals["updated"] == 0
    assert again.totals["unchanged"] == first.totals["inserted"] == 24
    assert snapshot(registry_url) == before

    rows["incomes"][0]["amount"] = "350000.51"       # one tiyn more in April's extract
    april = ingest(write_extract(tmp_path / "april", rows, as_of="2026-04-01"), registry_url, contract(), report_dir=tmp_path)
    assert april.totals["updated"] == april.tables["incomes"].updated == 1 and april.totals["inserted"] == 0
    after_april = snapshot(registry_url)
    key = (MOTHER, "2026-01", "wage", "SGD")
    assert after_april["incomes"][key]["amount"] == Decimal("350000.51")
    assert after_april["incomes"][key]["extract_as_of"] == dt.date(2026, 4, 1)
    after_april["incomes"][key] = before["incomes"][key]
    assert after_april == before                     # nothing else moved, stamps included

    rows["incomes"][0]["amount"] = "1.00"            # a late February extract must not undo April
    late = ingest(write_extract(tmp_path / "february", rows, as_of="2026-02-01"), registry_url, contract(), report_dir=tmp_path)
    assert late.totals["updated"] == late.totals["inserted"] == 0
    assert snapshot(registry_url)["incomes"][key]["amount"] == Decimal("350000.51")
    with engine(registry_url).connect() as conn:
        assert conn.execute(select(func.count()).where(Ingestion.status == "succeeded")).scalar_one() == 4


@pytest.mark.parametrize("broken, named", [
    ({"remove": "addresses"}, "addresses"),
    ({"drop": (("incomes", "amount"),)}, "amount"),
])
def test_contract_error_changes_nothing(registry_url, tmp_path, broken, named):
    good = ingest(write_extract(tmp_path / "good", extract_rows()), registry_url, contract(), report_dir=tmp_path)
    before = snapshot(registry_url)
    rows = extract_rows()
    if "remove" in broken:
        del rows[broken["remove"]]
    folder = write_extract(tmp_path / "bad", rows, as_of="2026-05-01", drop=broken.get("drop", ()))
    with pytest.raises(ContractError, match=named):
        ingest(folder, registry_url, contract(), report_dir=tmp_path)
    assert snapshot(registry_url) == before
    with engine(registry_url).connect() as conn:
        assert conn.execute(select(Ingestion.id)).scalars().all() == [good.ingestion_id]


def test_ingest_never_migrates_and_a_contract_error_on_an_empty_registry_writes_nothing(database_url, tmp_path):
    with pytest.raises(SchemaError, match="no registry schema"):
        ingest(write_extract(tmp_path / "good", extract_rows()), database_url, contract(), report_dir=tmp_path)
    with engine(database_url).connect() as conn:
        assert inspect(conn).get_table_names() == []           # the schema is made only by migrate
    migrate(database_url)
    rows = extract_rows()
    del rows["persons"]
    with pytest.raises(ContractError, match="persons"):
        ingest(write_extract(tmp_path / "bad", rows), database_url, contract(), report_dir=tmp_path)
    with engine(database_url).connect() as conn:
        assert conn.execute(select(Ingestion.id)).scalars().all() == []
        assert all(conn.execute(select(m.__table__.c[0])).first() is None for m in RECORDS.values())


def test_a_failing_table_rolls_back_alone_and_the_ingestion_is_marked_failed(registry_url, tmp_path, monkeypatch):
    loader = sys.modules["komek.registry.ingest"]
    real = loader.bulk_insert

    def broken(conn, table, frame):
        real(conn, table, frame)
        if table == "quarantine" and "incomes" in frame["table_name"]:
            raise RuntimeError("disk full")

    rows = extract_rows()
    rows["incomes"].append(dict(rows["incomes"][0], amount="-1"))     # so incomes has a quarantine to write
    monkeypatch.setattr(loader, "bulk_insert", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(write_extract(tmp_path / "extract", rows), registry_url, contract(), report_dir=tmp_path)
    stored = snapshot(registry_url)
    assert len(stored["persons"]) == 3 and len(stored["addresses"]) == 2    # tables before incomes committed
    assert stored["incomes"] == {} and stored["contributions"] == {}
    with engine(registry_url).connect() as conn:
        ingestion = conn.execute(select(Ingestion)).one()
        assert conn.execute(select(func.count()).select_from(QuarantinedRow)).scalar_one() == 0
    assert ingestion.status == "failed" and "disk full" in json.loads(ingestion.report)["error"]
    assert json.loads((tmp_path / "ingestion-report.json").read_text())["status"] == "failed"
