"""The country-neutral engine on a toy rule set: parameters, dependencies, cycles, exceptions."""
import datetime as dt

import numpy as np
import pytest

from komek.engine import Entity, ParameterError, ParameterSet, RuleError, RuleSet, Simulation, round_money

P = Entity("person", "persons")
H = Entity("household", "households", ("head", "child"))


def params(tmp_path, text):
    (tmp_path / "p.yaml").write_text(text)
    return ParameterSet.load(tmp_path)


PARAMS = """
line: {label: Line, values: {2024-01-01: {value: 100, source: law A}, 2025-01-01: {value: 120, source: law B}}}
share:
  label: Share
  values:
    2024-01-01: {regions: {"43": 0.5}, default: 0.25, source: decision C, confirmed: false}
scale:
  label: Scale
  values:
    2024-01-01: {brackets: [{threshold: 2, value: 10}, {threshold: 4, value: 30}], source: law D}
"""


def toy(tmp_path) -> RuleSet:
    r = RuleSet(P, H, "region")
    r.input("region", H, "str", "Region", default="")
    r.input("role", P, "str", "Role", default="")
    r.input("income", P, "money", "Income")
    r.aggregate("total", "income", "sum", "Total income")
    r.aggregate("children", "role", "count", "Children", role="child", dtype="int")

    @r.formula(H, "bool", "Poor", reference="art. 1", inputs=["total"], params=["line"])
    def poor(x, p):
        return x.total < p["line"]

    @r.formula(H, "money", "Benefit", reference="art. 2", inputs=["total"], params=["line", "share"],
               eligible="poor", rounding="tenge", measure=True)
    def benefit(x, p):
        return (p["line"] - x.total) * p["share"]

    @r.formula(H, "bool", "Has children", reference="art. 3", inputs=["children"])
    def has_children(x, p):
        return x.children > 0

    @benefit.exception("has_children", reference="art. 2.1", inputs=["children"], params=["scale"])
    def _with_children(x, p):
        return p.scale("scale").lookup(x.children)

    r.parameters = params(tmp_path, PARAMS)
    r.check()
    return r


def simulate(r, date, incomes, roles, group_of, regions):
    return Simulation(r, date, {"income": np.array(incomes, float), "role": np.array(roles)},
                      {"region": np.array(regions)}, np.array(group_of), trace=True)


def test_parameters_by_date_region_and_scale(tmp_path):
    ps = params(tmp_path, PARAMS)
    assert ps["line"].at(dt.date(2024, 12, 31)).value == 100
    assert ps["line"].at(dt.date(2025, 1, 1)).value == 120          # changes on 1 January
    with pytest.raises(ParameterError, match="no value on 2023-06-01"):
        ps["line"].at(dt.date(2023, 6, 1))
    assert ps.assumptions(dt.date(2025, 1, 1)) == ["share"]
    scale = ps["scale"].at(dt.date(2024, 1, 1)).value
    assert list(scale.lookup([1, 2, 3, 4, 9])) == [0, 10, 10, 30, 30]
    over = ps.with_overrides({"line": 150}, dt.date(2025, 6, 1), "reform X")
    assert over["line"].at(dt.date(2025, 5, 31)).value == 120 and over["line"].at(dt.date(2025, 6, 1)).value == 150
    with pytest.raises(ParameterError, match="unknown parameter 'nope'"):
        ps.with_overrides({"nope": 1}, dt.date(2025, 1, 1), "x")


def test_parameter_without_source_is_refused(tmp_path):
    with pytest.raises(ValueError, match="line value from 2024-01-01 has no source"):
        params(tmp_path, "line: {label: L, values: {2024-01-01: {value: 1}}}")


def test_eligibility_regional_parameters_and_exception(tmp_path):
    r = toy(tmp_path)
    # Households: 0 poor in region 43 (share 0.5); 1 poor elsewhere (0.25); 2 not poor; 3 poor with 2 children.
    sim = simulate(r, dt.date(2025, 3, 1), [50, 10, 80, 200, 20, 0, 0], ["head", "head", "head", "head", "head", "child", "child"],
                   [0, 1, 1, 2, 3, 3, 3], ["43", "71", "71", "75"])
    # 0: (120-50)*0.5 = 35; 1: (120-90)*0.25 = 7.5 -> 8 (half up); 2: not eligible; 3: exception, scale(2) = 10
    assert list(sim.calculate("benefit")) == [35, 8, 0, 10]
    assert ("benefit", "share", dt.date(2025, 3, 1)) in sim.param_log
    assert r.needs("benefit") == ["income", "region", "role"]


def test_cycles_and_unknown_names_are_found_when_rules_load(tmp_path):
    r = RuleSet(P, H, "region")

    @r.formula(P, "int", "A", reference="x", inputs=["b"])
    def a(x, p):
        return x.b

    @r.formula(P, "int", "B", reference="x", inputs=["a", "ghost"])
    def b(x, p):
        return x.a

    @r.formula(H, "int", "C", reference="x", inputs=["a"])
    def c(x, p):
        return x.a

    with pytest.raises(RuleError) as e:
        r.check()
    text = str(e.value)
    assert "b reads unknown variable ghost" in text
    assert "cycle: a -> b -> a" in text
    assert "c (household) reads a (person)" in text


def test_undeclared_parameter_is_refused(tmp_path):
    r = RuleSet(P, H, "region")
    r.input("income", P, "money", "Income")

    @r.formula(P, "money", "Sneaky", reference="x", inputs=["income"])
    def sneaky(x, p):
        return x.income * p["line"]

    r.parameters = params(tmp_path, PARAMS)
    sim = Simulation(r, dt.date(2025, 1, 1), {"income": np.array([1.0])}, {}, np.array([0]))
    with pytest.raises(ParameterError, match="sneaky reads parameter line without declaring it"):
        sim.calculate("sneaky")


def test_rounding_rules():
    v = np.array([81870.11, 2.5, 2.4999999999, 0.125, 1.005])
    assert list(round_money(v, "tenge_up")) == [81871, 3, 3, 1, 2]
    assert list(round_money(v, "tenge")) == [81870, 3, 3, 0, 1]
    assert list(round_money(v, "tiyn")) == [81870.11, 2.5, 2.5, 0.13, 1.01]


def test_civil_dates_agree_with_numpy_calendar():
    """The integer civil-from-days algorithm gives NumPy's calendar for every day of 1800-2100."""
    import numpy as np

    from komek.engine.dates import civil
    days = np.arange(np.datetime64("1800-01-01"), np.datetime64("2101-01-01"))
    year, month, day = civil(days)
    assert (year == days.astype("datetime64[Y]").astype(int) + 1970).all()
    assert (month == days.astype("datetime64[M]").astype(int) % 12 + 1).all()
    assert (day == (days - days.astype("datetime64[M]")).astype(int) + 1).all()
    assert (year[days == np.datetime64("2024-02-29")], month[days == np.datetime64("2024-02-29")]) == (2024, 2)


PLACES = """
share:
  label: Share
  values:
    2024-01-01:
      default: 0.25
      source: law E
      confirmed: false
      regions:
        "43": {value: 0.5, source: region decision, confirmed: false}
        "4310": {value: 0.125, source: city decision}
        "431012": 0.0625
        "55": 0.75
"""


def placed(tmp_path) -> RuleSet:
    r = RuleSet(P, H, "region", locality_variable="locality")
    r.input("region", H, "str", "Region", default="")
    r.input("locality", H, "str", "Locality", default="")

    @r.formula(H, "float", "Share", reference="art. 4", params=["share"])
    def share(x, p):
        return p["share"]

    r.parameters = params(tmp_path, PLACES)
    r.check()
    return r


# (region, locality): the key that gives the value, its kind and the value.
PLACED = [
    ("43", "431012345", "431012", "locality", 0.0625),    # the longest key that begins the locality
    ("43", "431099000", "4310", "locality", 0.125),       # a district's own
    ("43", "433200000", "43", "region", 0.5),              # elsewhere in the region: the region's
    ("43", "", "43", "region", 0.5),                       # locality not known: the region's
    ("55", "552210000", "55", "region", 0.75),
    ("11", "111010000", "default", "default", 0.25),       # a region with no value: the default
    ("43", "431", "43", "region", 0.5),                    # a locality shorter than every district key
]


def test_a_place_takes_its_districts_value_else_its_regions_else_the_default(tmp_path):
    from komek.engine.explain import explain
    from komek.engine.parameters import place_key
    r = placed(tmp_path)
    regions, localities = (np.array([row[i] for row in PLACED]) for i in (0, 1))
    sim = Simulation(r, dt.date(2024, 6, 1), {}, {"region": regions, "locality": localities},
                     np.array([], dtype=np.int64), trace=True)
    assert sim.calculate("share").tolist() == [row[4] for row in PLACED]
    table = r.parameters["share"].at(dt.date(2024, 6, 1)).value
    for group, (region, locality, key, kind, value) in enumerate(PLACED):
        assert place_key(table, region, locality) == (key, kind)
        (used,) = explain(sim, ["share"], group)["variables"]["share"]["parameters"]
        assert (used["value"], used["place"]) == (value, {"key": key, "kind": kind})
    by_key = {row[2]: explain(sim, ["share"], i)["variables"]["share"]["parameters"][0] for i, row in enumerate(PLACED)}
    assert (by_key["4310"]["source"], by_key["4310"]["confirmed"]) == ("city decision", True)
    assert (by_key["431012"]["source"], by_key["431012"]["confirmed"]) == ("law E", False)   # no source of its own
    assert (by_key["43"]["source"], by_key["default"]["source"]) == ("region decision", "law E")


def test_without_localities_a_table_with_district_keys_is_regional(tmp_path):
    r = placed(tmp_path)
    sim = Simulation(r, dt.date(2024, 6, 1), {}, {"region": np.array(["43", "11", "55"])}, np.array([], dtype=np.int64))
    assert sim.calculate("share").tolist() == [0.5, 0.25, 0.75]


def test_a_reform_sets_a_districts_value(tmp_path):
    from komek.engine.reform import Reform
    r = placed(tmp_path)
    reform = Reform.from_spec({"start": "2025-01-01", "parameters": {"share": {"regions": {"4310": 0.2, "43": 0.3},
                                                                                "default": 0.4}}})
    reform.check(r)
    groups = {"region": np.array(["43", "43", "55"]), "locality": np.array(["431012345", "432000000", ""])}
    sim = Simulation(r, dt.date(2025, 3, 1), {}, groups, np.array([], dtype=np.int64), reform.parameters(r))
    assert sim.calculate("share").tolist() == [0.2, 0.3, 0.4]       # the reform's table replaces the whole table
    base = Simulation(r, dt.date(2024, 12, 31), {}, groups, np.array([], dtype=np.int64), reform.parameters(r))
    assert base.calculate("share").tolist() == [0.0625, 0.5, 0.75]   # before its start the baseline holds
