"""The IIN check digit and contract validation, on hand-worked numbers."""
import datetime as dt
import json

import polars as pl
import pytest

from komek.contract.validate import locate, validate_extract, validate_frame
from komek.errors import ContractError
from komek.kz import contract, iin


# 880501401238: digits 8 8 0 5 0 1 4 0 1 2 3, weights 1..11:
# 8+16+0+20+0+6+28+0+9+20+33 = 140; 140 mod 11 = 8 -> check digit 8.
# 900101400404: first sum 9+4+6+28+40 = 87, 87 mod 11 = 10, so weights 3..11,1,2:
# 27+6+8+36+4 = 81, 81 mod 11 = 4 -> check digit 4.
# 90010140043x: first sum 120 mod 11 = 10, second sum 87 mod 11 = 10 -> never valid.
@pytest.mark.parametrize("number, valid", [
    ("880501401238", True), ("880501401237", False),
    ("900101400404", True), ("900101400405", False),
    *[(f"90010140043{d}", False) for d in range(10)],
    ("88050140123", False), ("8805014012388", False), ("88050140123a", False), ("", False),
])
def test_iin_check_digit(number, valid):
    assert iin.is_valid(number) is valid
    frame = pl.DataFrame({"iin": [number]})
    assert frame.select(iin.valid_expr(pl.col("iin"))).item() is valid


def test_iin_encodes_birth_and_sex():
    assert iin.birth_date("880501401238") == dt.date(1988, 5, 1)
    assert iin.sex("880501401238") == "F"          # 4: 1900s, female
    assert iin.birth_date("210210500206") == dt.date(2021, 2, 10)
    assert iin.sex("210210500206") == "M"          # 5: 2000s, male
    made = iin.make(dt.date(1975, 1, 1), "M", 42)
    assert made.startswith("7501013") and iin.is_valid(made)
    assert iin.make(dt.date(1990, 1, 1), "F", 43) is None   # the 90010140043 head above


def _persons(**overrides):
    row = {"iin": "880501401238", "birth_date": "1988-05-01", "sex": "F", "death_date": None,
           "citizenship": "KAZ", "last_name": "Ахметова", "first_name": "Айгерим", "patronymic": "Серикқызы"}
    row.update(overrides)
    return row


def test_bad_rows_are_quarantined_with_reasons_and_the_rest_typed():
    rows = [_persons(), _persons(iin="880501401237"), _persons(birth_date="1988-02-30"),
            _persons(sex="X"), _persons(death_date="1980-01-01"), _persons(iin="900101400404", birth_date="1990-01-01", sex="M")]
    result = validate_frame(contract(), contract().tables["persons"], pl.DataFrame(rows))
    assert result.rows_read == 6
    assert result.valid["iin"].to_list() == ["880501401238"]
    assert result.valid.schema["birth_date"] == pl.Date
    reasons = dict(zip(result.quarantine["row"], result.quarantine["reason"]))
    assert reasons[2] == "iin: IIN check digit is wrong"
    assert reasons[3] == "birth_date: not a real date (YYYY-MM-DD)"
    assert reasons[4].startswith("sex: unknown code")
    assert reasons[5] == "death_date: before birth_date"
    assert reasons[6] == "iin: does not encode sex"   # 900101400404 has 4 in 7th place: female
    assert json.loads(result.quarantine.filter(pl.col("row") == 3)["record"].item())["birth_date"] == "1988-02-30"


def test_money_region_and_duplicate_checks():
    t = contract().tables["incomes"]
    raw = pl.DataFrame({"iin": ["880501401238"] * 5, "month": ["2026-01", "2026-13", "2026-02", "2026-03", "2026-01"],
                        "kind": ["wage"] * 5, "amount": ["100.5", "5", "-3", "1.234", "7"], "source": ["SGD"] * 5})
    r = validate_frame(contract(), t, raw)
    assert [str(a) for a in r.valid["amount"]] == ["100.50"]
    assert r.quarantine["reason"].to_list() == [
        "month: not a month (YYYY-MM)", "amount: negative amount",
        "amount: not an amount in tenge with at most two decimals",
        "duplicate key (iin, month, kind, source) of an earlier row"]
    a = contract().tables["addresses"]
    raw = pl.DataFrame({"iin": ["880501401238", "880501401238"], "region_code": ["71", "99"], "locality_code": ["711000000"] * 2,
                        "urban": ["true", "yes"], "registered_from": ["2020-01-01", "2021-01-01"], "registered_to": [None, None]})
    r = validate_frame(contract(), a, raw)
    assert r.valid["urban"].to_list() == [True]
    assert r.quarantine["reason"].to_list() == ["region_code: unknown region code"]


def test_missing_file_or_column_names_it(tmp_path):
    with pytest.raises(ContractError, match="persons.parquet or persons.csv"):
        locate(tmp_path, contract())
    pl.DataFrame([_persons()]).drop("sex").write_csv(tmp_path / "persons.csv")
    with pytest.raises(ContractError, match="persons.csv: missing required column.*sex"):
        locate(tmp_path, contract())


def test_extract_from_csv_files(tmp_path):
    pl.DataFrame([_persons()]).write_csv(tmp_path / "persons.csv")
    pl.DataFrame({"household_id": ["H1"], "iin": ["880501401238"], "role": ["head"], "from_date": ["2015-01-01"],
                  "to_date": [None]}).write_csv(tmp_path / "households.csv")
    pl.DataFrame({"iin": ["880501401238"], "region_code": ["43"], "locality_code": ["431010000"], "urban": ["false"],
                  "registered_from": ["2015-01-01"], "registered_to": [None]}).write_csv(tmp_path / "addresses.csv")
    (tmp_path / "notes.txt").write_text("x")
    ex = validate_extract(tmp_path, contract())
    assert set(ex.tables) == {"persons", "households", "addresses"}
    assert ex.quarantine.is_empty() and ex.ignored_files == ["notes.txt"]
    assert ex.tables["addresses"].valid["urban"].to_list() == [False]


def test_contract_docs_are_current():
    """docs/data-contract.md is generated from the contract; regenerate it when the contract changes:
    python -c "from komek.kz import contract_markdown; open('docs/data-contract.md','w').write(contract_markdown())"
    """
    from pathlib import Path

    from komek.kz import contract_markdown
    doc = Path(__file__).parents[1] / "docs" / "data-contract.md"
    assert doc.read_text("utf-8") == contract_markdown()
