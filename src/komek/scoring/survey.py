"""A labelled household survey as the proxy means test reads it: any CSV, household-level or
person-level, turned into one row of numeric features per household.

Column kinds are found from the data, so a new survey needs flags, not code:
- numbers (and text that is numbers) stay numbers; missing values stay missing (the model
  handles them);
- yes/no text (yes/no, y/n, true/false, da/net, 1/0 in any case) becomes 1/0;
- other text is a category: its most frequent values become 0/1 columns.
Person rows (a household id repeated) become household features: mean, min, max and sum of
each number, the share, count, min and max of each yes/no or category, the head's value of each
person column, and the number of members; with the members' age column named, counts by age band
(by sex too, with the sex column named) and the dependency ratio. The head is the row whose
`head` column has the given value (`role=head`), else the household's first row.
Columns whose name suggests ethnicity, nationality or race are never used.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from komek.errors import FieldError, SurveyError

NULLS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", ".", "-", "?", "missing"]
YES = {"yes", "y", "true", "t", "да", "иә", "ia", "1", "1.0"}
NO = {"no", "n", "false", "f", "нет", "жоқ", "zhok", "0", "0.0"}
PROTECTED = re.compile(r"ethn|national|race|tribe|clan|ult_group|этн|национ", re.IGNORECASE)
TOP_LEVELS = 20
AGE_BANDS = ((0, 6), (6, 15), (15, 25), (25, 65), (65, None))     # [from, to) in years




@dataclass
class Spec:
    """How raw columns become features; saved with the model so new data is read the same way."""
    numeric: list[str]
    yesno: list[str]
    categories: dict[str, list[str]]
    person_level: bool
    household_columns: list[str] = field(default_factory=list)   # the same on every row of a household
    features: list[str] = field(default_factory=list)
    protected_dropped: list[str] = field(default_factory=list)
    age: str | None = None          # the members' age in years, for age bands and the dependency ratio
    sex: str | None = None          # the members' sex, for age bands by sex
    head: list[str] | None = None   # [column, value] marking the head's row


@dataclass
class Survey:
    households: pl.DataFrame        # household id, target, weight, group columns, income (raw values, one per household)
    X: pl.DataFrame                 # features, one row per household, Float32
    spec: Spec
    heads: pl.DataFrame | None = None   # the head's row of every raw column (person rows only), Float32


def read_csv(path: Path) -> pl.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise SurveyError(f"{path}: no such file")
    with path.open("rb") as f:
        head = f.read(8192)
    if path.suffix.lower() != ".csv" or b"\x00" in head:
        raise SurveyError(f"{path}: not a CSV file (give a .csv text file with a header row)")
    read = lambda rows: pl.read_csv(path, infer_schema_length=rows, null_values=NULLS,  # noqa: E731
                                    encoding="utf8-lossy", truncate_ragged_lines=False)
    try:
        try:     # types from the first rows; a later value that does not fit them means reading all
            frame = read(10_000)
        except pl.exceptions.ComputeError:
            frame = read(None)
    except Exception as e:  # noqa: BLE001 - any parse failure is the user's file
        raise SurveyError(f"{path}: not a readable CSV ({str(e).splitlines()[0]})") from None
    if frame.height == 0 or frame.width < 2:
        raise SurveyError(f"{path}: not a survey CSV (needs a header row, at least two columns and one data row)")
    return frame


def _yesno(s: pl.Series) -> bool:
    values = set(s.drop_nulls().cast(pl.String).str.strip_chars().str.to_lowercase().unique().to_list())
    return bool(values) and values <= YES | NO and not values <= {"0", "1", "0.0", "1.0"}


def infer_spec(frame: pl.DataFrame, exclude: set[str], household_id: str) -> Spec:
    numeric, yesno, categories, dropped = [], [], {}, []
    for c in frame.columns:
        if c in exclude:
            continue
        if PROTECTED.search(c):
            dropped.append(c)
            continue
        s = frame[c]
        if s.null_count() == s.len():
            continue
        if s.dtype.is_numeric() or s.dtype == pl.Boolean:
            numeric.append(c)
        elif _yesno(s):
            yesno.append(c)
        else:
            text = s.cast(pl.String).str.strip_chars()
            as_number = text.str.replace(",", ".").cast(pl.Float64, strict=False)
            if as_number.null_count() - text.null_count() <= 0.02 * (text.len() - text.null_count()):
                numeric.append(c)
            else:
                top = text.drop_nulls().value_counts(sort=True).head(TOP_LEVELS)
                categories[c] = [v for v, n in top.iter_rows() if n >= 5]
    person_level = frame[household_id].n_unique() < frame.height
    constant = []
    if person_level:
        used = numeric + yesno + list(categories)
        # Judged on the first rows' households: enough to tell a household column from a person's.
        most = frame.head(200_000).group_by(household_id).agg(pl.col(used).n_unique()).select(pl.col(used).max())
        constant = [c for c in used if most[c][0] <= 1]
    return Spec(numeric, yesno, categories, person_level, constant, protected_dropped=dropped)


def encode(frame: pl.DataFrame, spec: Spec) -> list[pl.Expr]:
    """Per-row numeric expressions for every raw feature column."""
    exprs = []
    for c in spec.numeric:
        col = pl.col(c) if c in frame.columns else pl.lit(None)
        if c in frame.columns and frame[c].dtype == pl.String:
            col = pl.col(c).str.strip_chars().str.replace(",", ".").cast(pl.Float64, strict=False)
        exprs.append(col.cast(pl.Float32).alias(c))
    for c in spec.yesno:
        if c not in frame.columns:
            exprs.append(pl.lit(None, pl.Float32).alias(c))
            continue
        low = pl.col(c).cast(pl.String).str.strip_chars().str.to_lowercase()
        exprs.append(pl.when(low.is_in(list(YES))).then(1.0).when(low.is_in(list(NO))).then(0.0)
                     .otherwise(None).cast(pl.Float32).alias(c))
    for c, levels in spec.categories.items():
        for v in levels:
            name = f"{c}={v}"
            if c not in frame.columns:
                exprs.append(pl.lit(None, pl.Float32).alias(name))
            else:
                text = pl.col(c).cast(pl.String).str.strip_chars()
                exprs.append(pl.when(text.is_null()).then(None).otherwise(text == v).cast(pl.Float32).alias(name))
    return exprs


def _rows(frame: pl.DataFrame, spec: Spec, household_id: str) -> pl.DataFrame:
    """Encoded person rows, with `_nothead` (0 on the head's row) and the raw age and sex."""
    if spec.head and spec.head[0] in frame.columns:
        col, value = spec.head
        nothead = (pl.col(col).cast(pl.String).str.strip_chars() != value).fill_null(True)
    else:
        nothead = pl.lit(True)
    extra = [nothead.cast(pl.Int8).alias("_nothead")]
    if spec.age and spec.age in frame.columns:
        extra.append(pl.col(spec.age).cast(pl.String).str.strip_chars().str.replace(",", ".")
                     .cast(pl.Float64, strict=False).alias("_age"))
    if spec.sex and spec.sex in frame.columns:
        extra.append(pl.col(spec.sex).cast(pl.String).str.strip_chars().alias("_sex"))
    return frame.select(pl.col(household_id).cast(pl.String).alias("_hid"), *encode(frame, spec), *extra)


def _head(c: str) -> pl.Expr:
    """The value on the head's row (the first row when no row is marked as the head's)."""
    return pl.col(c).get(pl.col("_nothead").arg_min())


def _members(spec: Spec, rows: pl.DataFrame) -> list[pl.Expr]:
    """Counts by age band (and by sex within each band) and the dependency ratio: members under
    15 or 65 and over per member of 15-64 (per one, when there is none, so it stays finite)."""
    if "_age" not in rows.columns:
        return []
    age, out = pl.col("_age"), []
    sexes = spec.categories.get(spec.sex, []) if "_sex" in rows.columns else []
    for lo, hi in AGE_BANDS:
        band = (age >= lo) & (age < hi) if hi else age >= lo
        name = f"age {lo}-{hi - 1}" if hi else f"age {lo}+"
        out.append(band.sum().alias(f"{name}:count"))
        out += [(band & (pl.col("_sex") == v)).sum().alias(f"{name} {spec.sex}={v}:count") for v in sexes]
    dependants = ((age < 15) | (age >= 65)).sum()
    working = ((age >= 15) & (age < 65)).sum()
    return out + [(dependants / pl.max_horizontal(working, 1)).alias("dependency_ratio")]


def features(frame: pl.DataFrame, spec: Spec, household_id: str) -> pl.DataFrame:
    """One row per household (in order of first appearance): household_id then the features."""
    rows = _rows(frame, spec, household_id)
    raw = [c for c in rows.columns if not c.startswith("_")]
    if not spec.person_level:
        out = rows.unique("_hid", keep="first", maintain_order=True).select("_hid", *raw)
    else:
        shares = set(spec.yesno) | {c for c in raw if "=" in c}
        aggs = [pl.len().cast(pl.Float32).alias("members"), *_members(spec, rows)]
        constant = set(spec.household_columns)
        for c in raw:
            if c.split("=")[0] in constant:
                aggs.append(pl.col(c).drop_nulls().first().alias(c))
                continue
            if c in shares:
                aggs += [pl.col(c).mean().alias(f"{c}:share"), pl.col(c).sum().alias(f"{c}:count")]
            else:
                aggs += [pl.col(c).mean().alias(f"{c}:mean"), pl.col(c).sum().alias(f"{c}:sum")]
            aggs += [pl.col(c).min().alias(f"{c}:min"), pl.col(c).max().alias(f"{c}:max"), _head(c).alias(f"head:{c}")]
        out = rows.group_by("_hid", maintain_order=True).agg(aggs)
    out = out.with_columns(pl.col(c).cast(pl.Float32) for c in out.columns if c != "_hid")
    if spec.features:      # a trained model: exactly its features, in its order
        missing = [c for c in spec.features if c not in out.columns]
        out = out.with_columns(pl.lit(None, pl.Float32).alias(c) for c in missing).select("_hid", *spec.features)
    return out


def heads(frame: pl.DataFrame, spec: Spec, household_id: str) -> pl.DataFrame:
    """The head's row of every raw column, one row per household in order of first appearance."""
    rows = _rows(frame, spec, household_id)
    raw = [c for c in rows.columns if not c.startswith("_")]
    return (rows.group_by("_hid", maintain_order=True).agg(_head(c).alias(c) for c in raw)
            .with_columns(pl.col(c).cast(pl.Float32) for c in raw))


def household_values(frame: pl.DataFrame, household_id: str, columns: list[str]) -> pl.DataFrame:
    """The first non-missing value of each column per household (target, weight, groups)."""
    return (frame.group_by(pl.col(household_id).cast(pl.String).alias("_hid"), maintain_order=True)
            .agg(pl.col(c).drop_nulls().first() for c in columns))


def load(path: Path, target: str, household_id: str, weight: str | None = None, income: str | None = None,
         groups: tuple[str, ...] = (), age: str | None = None, sex: str | None = None,
         head: str | None = None) -> Survey:
    """Read and check a labelled survey; SurveyError says what is wrong before anything is written.
    `head` is COLUMN=VALUE, the value marking the head's row."""
    frame = read_csv(path)
    head_rule = None
    if head:
        column, _, value = head.partition("=")
        if not value.strip():
            raise FieldError("head", f"{head!r}: give COLUMN=VALUE, e.g. role=head")
        head_rule = [column.strip(), value.strip()]
    for name, col in (("target", target), ("household_id", household_id), ("weight", weight),
                      ("income", income), *(("group", g) for g in groups), ("age", age), ("sex", sex),
                      ("head", head_rule[0] if head_rule else None)):
        if col is not None and col not in frame.columns:
            raise FieldError(name, f"{col!r}: no such column in {Path(path).name} "
                             f"(columns: {', '.join(frame.columns[:12])}{', ...' if frame.width > 12 else ''})")
    if frame[household_id].null_count():
        frame = frame.filter(pl.col(household_id).is_not_null())
    exclude = {target, household_id, *(c for c in (weight, income) if c)}
    spec = infer_spec(frame, exclude, household_id)
    spec.age, spec.sex, spec.head = age, sex, head_rule
    X = features(frame, spec, household_id)
    spec.features = [c for c in X.columns if c != "_hid" and X[c].null_count() < X.height and X[c].n_unique() > 1]
    X = X.select("_hid", *spec.features)
    kept = [c for c in (target, weight, *groups) if c]
    hh = household_values(frame, household_id, kept)
    if income:
        inc = frame.group_by(pl.col(household_id).cast(pl.String).alias("_hid"), maintain_order=True).agg(
            (pl.col(income).cast(pl.Float64, strict=False).sum() / pl.len()).alias("_income") if spec.person_level
            else pl.col(income).cast(pl.Float64, strict=False).first().alias("_income"))
        hh = hh.join(inc, on="_hid", how="left", maintain_order="left")
    hh = hh.join(X.select("_hid"), on="_hid", maintain_order="left")
    labelled = hh[target].is_not_null()
    hh, X = hh.filter(labelled), X.filter(labelled)
    head_rows = heads(frame, spec, household_id).filter(labelled).drop("_hid") if spec.person_level else None
    if hh[target].n_unique() < 2:
        raise FieldError("target", f"{target!r}: needs at least two classes, found {hh[target].unique().to_list()[:3]}")
    if not spec.features:
        raise SurveyError("no usable feature columns (every column is the target, the id, protected or constant)")
    hh = hh.with_columns(pl.col(target).cast(pl.String).alias("_y"),
                         (pl.col(weight).cast(pl.Float64, strict=False).fill_null(1.0) if weight else pl.lit(1.0)).alias("_w"))
    return Survey(hh, X.drop("_hid"), spec, head_rows)


def classes(labels: pl.Series) -> list[str]:
    """Class labels in order: numerically when they are numbers (the lowest first), else as text."""
    values = labels.unique().drop_nulls().to_list()
    try:
        return sorted(values, key=float)
    except ValueError:
        return sorted(values)


def poor_classes(ordered: list[str], given: str | None) -> list[str]:
    """The classes counted as poor: those given (comma-separated), else the positive class of a
    yes/no or 0/1 target, else the lowest class of an ordinal target."""
    if given:
        wanted = [c.strip() for c in given.split(",") if c.strip()]
        norm = {_norm(c): c for c in ordered}
        unknown = [c for c in wanted if _norm(c) not in norm]
        if unknown:
            raise FieldError("poor_classes", f"{unknown}: not classes of the target (classes: {ordered})")
        return [norm[_norm(c)] for c in wanted]
    if len(ordered) == 2:
        yes = [c for c in ordered if c.strip().lower() in YES | {"poor"}]
        return yes[:1] or [ordered[-1]]
    return [ordered[0]]


def _norm(label: str) -> str:
    try:
        return repr(float(label))
    except ValueError:
        return label.strip().lower()


def as_numpy(X: pl.DataFrame) -> np.ndarray:
    return X.to_numpy().astype(np.float32, copy=False)
