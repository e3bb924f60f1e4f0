"""Planted irregularities: a generated extract's payments and records altered in known ways,
with the answer key written apart from the extract, so that each check's precision and recall
can be measured. The same extract, rate and seed give the same plants.

For each kind, `max(3, round(rate x candidates))` cases are planted, each in a household no
other plant touches. The synthetic country does not model social contracts (the rules assume
them signed), so before planting, every able-bodied member of a conditional TSA family is
given the jobseeker registration the contract requires; the planted cases then lose it.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl

from komek.audit import check_config, config, residence, residence_bound, value
from komek.audit.data import read
from komek.audit.disability import OUTCOME, OWN
from komek.audit.recompute import Facts, month_facts
from komek.errors import FieldError
from komek.kz import contract, registry_inputs
from komek.kz.standard import household_measures, person_measures, standard
from komek.money import MONEY
from komek.periods import month_end as _end
from komek.registry import ExtractSource

KINDS = list(config()["checks"])
EDITED = ("payments", "persons", "border_crossings", "incomes", "medical_exams", "jobseekers", "employment", "assets",
          "account_activity")
KEY_SCHEMA = {"check": pl.String, "payment_id": pl.String, "iin": pl.String, "household_id": pl.String,
              "month": pl.String, "measure": pl.String, "amount_at_risk": MONEY}


def answer_key_path(extract: Path) -> Path:
    """Next to the extract, never inside it."""
    extract = Path(extract).resolve()
    return extract.parent / f"{extract.name}.answer_key.parquet"


def _start(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")


class Planter:
    def __init__(self, folder: Path, rate: float, seed: int):
        self.folder, self.rate = Path(folder), rate
        self.rng = np.random.default_rng([seed, 20260501])
        # Planting edits the tables in memory, so even the large ones are read whole.
        self.t = {k: v.collect() if isinstance(v, pl.LazyFrame) else v
                  for k, v in read(ExtractSource(self.folder, contract()), whole=True).tables.items()}
        self.as_of = dt.date.fromisoformat(json.loads((self.folder / "manifest.json").read_text("utf-8"))["as_of"])
        self.used: set[str] = set()
        self.key: list[pl.DataFrame] = []
        self.months = sorted(self.t["payments"]["month"].unique().to_list())

    # -- helpers
    def count(self, candidates: int) -> int:
        return min(candidates, max(3, round(self.rate * candidates)))

    def pick(self, frame: pl.DataFrame, n: int | None = None, by: str = "household_id") -> pl.DataFrame:
        """n rows of distinct, unused households, drawn reproducibly."""
        order = [by] + [c for c in ("payment_id", "iin", "month") if c in frame.columns and c != by]
        frame = (frame.filter(~pl.col(by).is_in(sorted(self.used))).sort(order)
                 .unique(by, keep="first", maintain_order=True))
        n = self.count(frame.height) if n is None else min(n, frame.height)
        chosen = frame[np.sort(self.rng.choice(frame.height, n, replace=False))] if n else frame.clear()
        self.used.update(chosen["household_id"].to_list())
        return chosen

    def answer(self, check: str, rows: pl.DataFrame, at_risk: pl.Expr | None = None) -> None:
        at_risk = at_risk if at_risk is not None else pl.col("amount")
        self.key.append(rows.select(pl.lit(check).alias("check"), "payment_id", "iin", "household_id", "month",
                                    "measure", at_risk.cast(MONEY).alias("amount_at_risk")))

    def facts(self) -> dict[str, tuple[pl.DataFrame, pl.DataFrame]]:
        return self._facts_for(self.months)

    @property
    def pay(self) -> pl.DataFrame:
        return self.t["payments"]

    # -- the social contract the rules assume signed
    def baseline_participation(self, facts) -> None:
        missing = []
        for month, (hh, people) in facts.items():
            conditional = hh.filter(~pl.col("unconditional") & (pl.col("able_bodied") > 0) & (pl.col("participating") == 0))
            paid = self.pay.filter((pl.col("month") == month) & (pl.col("measure") == "tsa")).select("household_id")
            fams = conditional.join(paid, on="household_id", how="semi").select("household_id", "region_code")
            missing.append(people.filter(pl.col("able")).join(fams, on="household_id")
                           .select("iin", "region_code", registered=pl.lit(_start(month) - dt.timedelta(days=1))))
        add = pl.concat(missing).sort("registered").unique("iin", keep="first").sort("iin")
        seekers = self.t["jobseekers"].filter(~pl.col("iin").is_in(add["iin"].implode()))
        add = add.with_columns(occupation_code=pl.lit("9629"), status=pl.lit("registered"), wage=pl.lit(None, MONEY))
        self.t["jobseekers"] = pl.concat([seekers, add.select(seekers.columns)], how="vertical_relaxed")

    # -- the kinds
    def paid_after_death(self) -> None:
        sizes = self.t["households"].group_by("household_id").agg(pl.col("iin").n_unique().alias("n"))
        single = sizes.filter(pl.col("n") == 1).select("household_id")
        alive = self.t["persons"].filter(pl.col("death_date").is_null()).select("iin")
        cand = (self.pay.filter(pl.col("measure") == "base_pension").join(single, on="household_id", how="semi")
                .join(alive, on="iin", how="semi").group_by("household_id", "iin").agg(pl.col("month").n_unique().alias("k"))
                .filter(pl.col("k") >= 3))
        for _hh, iin in self.pick(cand).select("household_id", "iin").iter_rows():
            months = sorted(self.pay.filter(pl.col("iin") == iin)["month"].unique().to_list())
            died = months[int(self.rng.integers(0, len(months) - 1))]
            date = _start(died) + dt.timedelta(days=int(self.rng.integers(0, 27)))
            self.t["persons"] = self.t["persons"].with_columns(
                death_date=pl.when(pl.col("iin") == iin).then(pl.lit(date)).otherwise(pl.col("death_date")))
            self.answer("paid_after_death", self.pay.filter((pl.col("iin") == iin) & (pl.col("month") > died)))

    def abroad_beyond_allowed(self) -> None:
        """For each residence-bound measure paid, recipients who never crossed the border are sent
        abroad: an exit 5-60 days beyond the measure's allowed absence before a month paid, and an
        entry 1-20 days after it. Every payment of a residence-bound measure to them for a month
        wholly abroad past that measure's allowed days is in the key."""
        rules = residence_bound()
        travelled = self.t["border_crossings"].select("iin").unique()
        late = self.pay.filter(pl.col("month") >= self.months[min(4, len(self.months) - 1)]).join(travelled, on="iin", how="anti")
        rows = []
        for measure, rule in rules.items():
            allowed = rule["allowed_days_abroad"]
            for _hh, iin, month in self.pick(late.filter(pl.col("measure") == measure)).select("household_id", "iin", "month").iter_rows():
                out = _start(month) - dt.timedelta(days=int(self.rng.integers(allowed + 5, allowed + 60)))
                back = _end(month) + dt.timedelta(days=int(self.rng.integers(1, 20)))
                rows.append((iin, out, "exit"))
                if back < self.as_of:
                    rows.append((iin, back, "entry"))
                else:
                    back = None
                own = self.pay.filter((pl.col("iin") == iin) & pl.col("measure").is_in(list(rules)))
                inside = [(_start(m) >= out) and (back is None or _end(m) < back)
                          and (min((_end(m) - out).days + 1, residence()["window_days"]) > rules[k]["allowed_days_abroad"])
                          for m, k in own.select("month", "measure").iter_rows()]
                self.answer("abroad_beyond_allowed", own.filter(pl.Series(inside, dtype=pl.Boolean)))
        if rows:
            add = pl.DataFrame(rows, schema=self.t["border_crossings"].schema, orient="row")
            self.t["border_crossings"] = pl.concat([self.t["border_crossings"], add]).sort("iin", "date")

    def account_dormant(self) -> None:
        """Pension recipients' accounts left without expenditure for 3-5 months in a row; the
        pensions paid for a month after `dormant_months` such months are in the key."""
        n = int(value(check_config("account_dormant")["dormant_months"]))
        measures = check_config("account_dormant")["measures"]
        act = self.t["account_activity"]
        reported = act.group_by("iin").agg(pl.col("month").n_unique().alias("k")).filter(pl.col("k") >= n + 3)
        cand = self.pay.filter(pl.col("measure").is_in(measures)).join(reported, on="iin", how="semi")
        for _hh, iin in self.pick(cand).select("household_id", "iin").iter_rows():
            months = sorted(act.filter(pl.col("iin") == iin)["month"].unique().to_list())
            start = int(self.rng.integers(0, len(months) - n))
            quiet = months[start:start + int(self.rng.integers(n, n + 3))]
            self.t["account_activity"] = act = act.with_columns(expenditures=pl.when(
                (pl.col("iin") == iin) & pl.col("month").is_in(quiet)).then(0).otherwise(pl.col("expenditures")))
            after = [m for i, m in enumerate(months) if i >= start + n and all(x in quiet for x in months[i - n:i])]
            self.answer("account_dormant", self.pay.filter((pl.col("iin") == iin) & pl.col("measure").is_in(measures)
                                                           & pl.col("month").is_in(after)))

    def concealed_income(self) -> None:
        rules = standard()
        income_led = [m for m in household_measures() + person_measures() if any(n.startswith("income_") for n in rules.needs(m))]
        paid_income_led = self.pay.filter(pl.col("measure").is_in(income_led)).select("household_id").unique()
        big = self._big_asset_holders()
        members = self.t["households"].select("household_id", "iin")
        earners = (self.t["incomes"].filter(pl.col("kind").is_in(["wage", "self_employed"])).select("iin").unique()
                   .join(members, on="iin").join(paid_income_led, on="household_id", how="anti")
                   .join(members.join(big, on="iin", how="semi").select("household_id"), on="household_id", how="anti"))
        target = self.count(earners.select("household_id").n_unique())
        tried = self.pick(earners, n=3 * target)
        hidden_iins = members.join(tried.select("household_id"), on="household_id")["iin"].implode()
        original = self.t["incomes"]
        hide = pl.col("iin").is_in(hidden_iins) & pl.col("kind").is_in(["wage", "self_employed"])
        self.t["incomes"] = original.filter(~hide)
        margin = value(check_config("concealed_income")["margin"])
        heads = self.t["households"].filter(pl.col("role") == "head").select("household_id", pl.col("iin").alias("head"))
        new, kept = [], set()
        for month, (hh, _) in self._facts_for(self.months[-6:]).items():
            ok = (hh.join(tried.select("household_id"), on="household_id", how="semi")
                  .filter((pl.col("tsa") > 0) & (pl.col("participating") > 0)
                          & ((pl.col("tsa_income") + pl.col("implied_income")) / pl.col("size") > 1.05 * pl.col("poverty_line") + margin))
                  .join(heads, on="household_id").unique("household_id").sort("household_id"))
            for hid, head, region, amount in ok.select("household_id", "head", "region_code", "tsa").iter_rows():
                if len(kept) >= target and hid not in kept:
                    continue
                kept.add(hid)
                new.append((f"P{month.replace('-', '')}-tsa-{head}", head, hid, "tsa", month, amount, region))
        dropped = set(tried["household_id"].to_list()) - kept
        self.used -= dropped
        restore = members.filter(pl.col("household_id").is_in(sorted(dropped)))["iin"].implode()
        self.t["incomes"] = original.filter(~hide | pl.col("iin").is_in(restore))
        if new:
            add = pl.DataFrame(new, schema=["payment_id", "iin", "household_id", "measure", "month", "amount", "region_code"],
                               orient="row").with_columns(pl.col("amount").round(2).cast(MONEY))
            add = add.select(self.pay.columns)
            self.t["payments"] = pl.concat([self.pay, add])
            self.answer("concealed_income", add)

    def _facts_for(self, months):
        lazy = {k: v.lazy() for k, v in self.t.items()}
        dates = [_end(m) for m in months]
        registry = registry_inputs.Registry(lazy, dates=dates)      # read once for these months, from the tables as they are now
        facts = Facts(lazy, registry, dates)
        return {m: month_facts(lazy, m, registry, facts=facts) for m in months}

    def _big_asset_holders(self) -> pl.DataFrame:
        """Holders of anything the assets signal could see: a vehicle or land above its value, or
        more than one property."""
        limits = {k: float(value(v)) for k, v in check_config("assets_above_need")["thresholds"].items()}
        a = self.t["assets"]
        big = a.filter(pl.col("kind").is_in(["vehicle", "land"]) & (pl.col("value").cast(pl.Float64) > pl.col("kind").replace_strict(
            limits, default=None, return_dtype=pl.Float64))).select("iin")
        homes = a.filter(pl.col("kind") == "real_estate").group_by("iin").len().filter(pl.col("len") > 1).select("iin")
        return pl.concat([big, homes]).unique()

    def duplicate_payment(self) -> None:
        chosen = self.pick(self.pay)
        regions = sorted(self.t["addresses"]["region_code"].unique().to_list())
        households = self.t["households"]["household_id"].unique().sort()
        copies = []
        for i, row in enumerate(chosen.iter_rows(named=True)):
            copy = dict(row, payment_id=row["payment_id"] + "-2")
            if i % 2 == 0:
                copy["region_code"] = self._other(regions, row["region_code"])
            else:
                copy["household_id"] = households[int(self.rng.integers(0, households.len()))]
                self.used.add(copy["household_id"])
            copies.append(copy)
        if copies:
            add = pl.DataFrame(copies, schema=self.pay.schema)
            self.t["payments"] = pl.concat([self.pay, add])
            self.answer("duplicate_payment", add)

    def _other(self, options: list[str], not_this) -> str:
        rest = [o for o in options if o not in (not_this if isinstance(not_this, (list, set)) else [not_this])]
        return rest[int(self.rng.integers(0, len(rest)))]

    def _replace(self, changed: pl.DataFrame) -> None:
        self.t["payments"] = self.pay.update(changed.select(self.pay.columns), on="payment_id")

    def amount_differs(self) -> None:
        chosen = self.pick(self.pay)
        factor = pl.Series(self.rng.uniform(1.1, 1.6, chosen.height))
        changed = chosen.with_columns(old=pl.col("amount"),
                                      amount=(pl.col("amount").cast(pl.Float64) * factor).round(0).cast(MONEY))
        self._replace(changed)
        self.answer("amount_differs", changed, (pl.col("amount").cast(pl.Float64) - pl.col("old").cast(pl.Float64)))

    def wrong_region(self) -> None:
        regs = self.t["addresses"].group_by("iin").agg(pl.col("region_code").unique().alias("regs"))
        chosen = self.pick(self.pay.join(regs, on="iin"))
        everywhere = sorted(self.t["addresses"]["region_code"].unique().to_list())
        changed = chosen.with_columns(region_code=pl.Series([self._other(everywhere, set(r)) for r in chosen["regs"].to_list()]))
        self._replace(changed)
        self.answer("wrong_region", changed)

    def _disability(self, check: str, alter) -> None:
        """Alter the records of disabled persons paid a disability benefit, and of members cared for
        by a paid carer; every payment resting on them is in the answer key. Each is the only
        person with a disability record in the households they belong to, so that a carer
        payment there rests on them alone."""
        carers = list(config()["cared_for"])
        exams = self.t["medical_exams"]
        records = self.t["disability"].join(exams.select("exam_id", pl.col("iin").alias("exam_iin")), on="exam_id", how="left")
        clean = records.group_by("iin").agg((pl.col("exam_iin") == pl.col("iin")).fill_null(False).all().alias("ok")).filter("ok")
        members = self.t["households"].select("household_id", "iin").unique()
        disabled = members.join(self.t["disability"].select("iin").unique(), on="iin", how="semi")
        shared = disabled.filter(pl.len().over("household_id") > 1)
        alone = clean.select("iin").join(shared, on="iin", how="anti")
        own = self.pay.filter(pl.col("measure") == OWN).join(alone, on="iin", how="semi")
        cared = (self.pay.filter(pl.col("measure").is_in(carers)).select("household_id", "payment_id", "month", "measure")
                 .join(members.join(alone, on="iin", how="semi"), on="household_id"))
        chosen = [self.pick(own)] + [self.pick(cared.filter(pl.col("measure") == m)) for m in carers]
        people = pl.concat([c["iin"] for c in chosen]).unique(maintain_order=True).implode()
        homes = members.filter(pl.col("iin").is_in(people))["household_id"]
        self.used.update(homes.to_list())
        alter(self.t["disability"].filter(pl.col("iin").is_in(people)))
        self.answer(check, self.pay.filter(((pl.col("measure") == OWN) & pl.col("iin").is_in(people))
                                           | (pl.col("measure").is_in(carers) & pl.col("household_id").is_in(homes.implode()))))

    def disability_no_exam(self) -> None:
        def drop(own):
            self.t["medical_exams"] = self.t["medical_exams"].filter(~pl.col("exam_id").is_in(own["exam_id"].implode()))
        self._disability("disability_no_exam", drop)

    def disability_exam_expired(self) -> None:
        def age(own):
            days = pl.Series(self.rng.integers(400, 800, own.height), dtype=pl.Int64)
            dates = own.select("exam_id", (pl.col("valid_from") - pl.duration(days=pl.lit(days))).alias("d"))
            self.t["medical_exams"] = (self.t["medical_exams"].join(dates, on="exam_id", how="left")
                                       .with_columns(exam_date=pl.coalesce("d", "exam_date")).drop("d"))
        self._disability("disability_exam_expired", age)

    def disability_group_mismatch(self) -> None:
        outcomes = ["group_1", "group_2", "group_3"]

        def regroup(own):
            new = own.select("exam_id", pl.Series([self._other(outcomes, OUTCOME[g]) for g in own["group"].to_list()]).alias("o"))
            self.t["medical_exams"] = (self.t["medical_exams"].join(new, on="exam_id", how="left")
                                       .with_columns(outcome=pl.coalesce("o", "outcome")).drop("o"))
        self._disability("disability_group_mismatch", regroup)

    def conditional_without_participation(self, facts) -> None:
        conditional = pl.concat([hh.filter(~pl.col("unconditional") & (pl.col("able_bodied") > 0))
                                 .select("household_id", month=pl.lit(m)) for m, (hh, _) in facts.items()])
        tsa = self.pay.filter(pl.col("measure") == "tsa").join(conditional, on=["household_id", "month"], how="semi")
        big = self._big_asset_holders()
        chosen = self.pick(tsa.join(self.t["households"].join(big, on="iin", how="semi").select("household_id"),
                                    on="household_id", how="anti"))
        members = self.t["households"].join(chosen.select("household_id"), on="household_id", how="semi")["iin"].implode()
        for name in ("jobseekers", "employment"):
            self.t[name] = self.t[name].filter(~pl.col("iin").is_in(members))
        self.answer("conditional_without_participation", tsa.join(chosen.select("household_id"), on="household_id", how="semi"))

    def assets_above_need(self) -> None:
        limit = float(value(check_config("assets_above_need")["thresholds"]["vehicle"]))
        measures = check_config("assets_above_need")["measures"]
        paid = self.pay.filter(pl.col("measure").is_in(measures))
        big = self._big_asset_holders()
        clean = paid.join(self.t["households"].join(big, on="iin", how="semi").select("household_id"), on="household_id", how="anti")
        chosen = self.pick(clean)
        first = self.months[0]
        add = chosen.select(
            asset_id=pl.concat_str(pl.lit("AP"), pl.int_range(pl.len()).cast(pl.String).str.zfill(8)), iin=pl.col("iin"),
            kind=pl.lit("vehicle"), value=pl.Series((limit * self.rng.uniform(1.2, 3.0, chosen.height)).round(-3)).cast(MONEY),
            acquired=pl.lit(_start(first) - dt.timedelta(days=200)), disposed=pl.lit(None, pl.Date))
        self.t["assets"] = pl.concat([self.t["assets"], add.select(self.t["assets"].columns)], how="vertical_relaxed")
        self.answer("assets_above_need", paid.join(chosen.select("household_id"), on="household_id", how="semi"), pl.lit(0))

    def run(self) -> pl.DataFrame:
        facts = self.facts()
        self.baseline_participation(facts)
        self.paid_after_death()
        self.abroad_beyond_allowed()
        self.account_dormant()
        self.conditional_without_participation(facts)
        self.assets_above_need()
        self.concealed_income()
        for kind in ("disability_no_exam", "disability_exam_expired", "disability_group_mismatch",
                     "amount_differs", "wrong_region", "duplicate_payment"):
            getattr(self, kind)()
        return pl.concat(self.key).cast(KEY_SCHEMA).sort("check", "payment_id") if self.key else pl.DataFrame(schema=KEY_SCHEMA)

    def write(self) -> None:
        for name in EDITED:
            schema = contract().tables[name].schema
            frame = self.t[name].select([pl.col(c).cast(t) for c, t in schema.items()])
            if name == "payments":
                frame = frame.sort("month", "region_code", "payment_id")
            frame.write_parquet(self.folder / f"{name}.parquet")


def plant(extract: Path, rate: float, seed: int) -> tuple[Path, pl.DataFrame]:
    """Plant every kind of irregularity into a generated extract; the answer key goes next to it."""
    if not 0 < rate <= 0.5:
        raise FieldError("irregularities", f"{rate} is not a share between 0 and 0.5")
    planter = Planter(Path(extract), rate, seed)
    key = planter.run()
    planter.write()
    path = answer_key_path(extract)
    key.write_parquet(path)
    return path, key


def score(findings: pl.DataFrame, key: pl.DataFrame) -> pl.DataFrame:
    """Precision and recall of each rule check against the answer key (matched on payment)."""
    rows = []
    for check in KINDS:
        f = set(findings.filter(pl.col("check") == check)["payment_id"].to_list())
        k = set(key.filter(pl.col("check") == check)["payment_id"].to_list())
        tp = len(f & k)
        rows.append((check, len(k), len(f), tp, tp / len(f) if f else None, tp / len(k) if k else None))
    return pl.DataFrame(rows, schema={"check": pl.String, "planted": pl.Int64, "found": pl.Int64, "true_positive": pl.Int64,
                                      "precision": pl.Float64, "recall": pl.Float64}, orient="row")


def anomaly_precision(anomalies: pl.DataFrame, key: pl.DataFrame, top: int = 100) -> tuple[int, float | None]:
    """Share of the `top` most unusual recipients who carry a planted irregularity."""
    best = anomalies.head(top)
    if best.is_empty():
        return 0, None
    hits = best["iin"].is_in(key["iin"].unique().implode()).sum()
    return best.height, hits / best.height
