"""The suite runner: SQL builds a bounded frame, GX validates it, the outcome is small.

A suite module defines one ``Suite``: its name, severity, what it reads, its thresholds
dataclass (``expectations/thresholds.py``) and ``prepare(con, day, params) -> Prepared``,
which runs the SQL and builds the GX expectations for each frame. ``run_suite`` validates
every frame and folds the GX results into a ``SuiteOutcome``.

Severity: an expectation may carry ``meta={"severity": "ERROR"}`` (or WARN); otherwise it
has the suite's. A failed outcome has the highest severity among its failed expectations;
a passed outcome has the suite's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import duckdb

Severity = Literal["ERROR", "WARN"]
_RANK = {"WARN": 0, "ERROR": 1}
EXAMPLES = 5  # failing rows listed per expectation


@dataclass
class Batch:
    """One frame and the expectations GX runs on it."""

    label: str
    frame: Any  # pandas.DataFrame
    expectations: list[Any]
    # Columns shown for failing rows (default: every column of the frame).
    example_columns: Sequence[str] | None = None


@dataclass
class Prepared:
    """What a suite's SQL found: frames to validate plus the values worth reporting."""

    batches: list[Batch] = field(default_factory=list)
    observed: dict[str, Any] = field(default_factory=dict)
    # Human-readable one-liner of the observed values.
    summary: str = ""
    # Set when there is nothing to judge (no data, not enough history): the suite passes.
    skipped: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    name: str
    severity: Severity
    # The asset it guards ("raw.events", "marts.fct_sessions", ...), for the asset checks.
    asset: str
    # schema.table -> columns read.
    reads: dict[str, tuple[str, ...]]
    description: str
    params: type
    prepare: Callable[[duckdb.DuckDBPyConnection, dt.date | None, Any], Prepared]
    # True when some expectation can fail with ERROR although the suite is WARN.
    can_escalate: bool = False

    @property
    def blocking(self) -> bool:
        """Whether a failure can be ERROR (a blocking asset check)."""
        return self.severity == "ERROR" or self.can_escalate


@dataclass
class SuiteOutcome:
    name: str
    passed: bool
    severity: Severity
    description: str
    metadata: dict[str, Any]
    day: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "severity": self.severity,
            "description": self.description,
            "day": self.day.isoformat() if self.day else None,
            "metadata": self.metadata,
        }


def run(
    suite: Suite, con: duckdb.DuckDBPyConnection, day: dt.date | None, **params: Any
) -> SuiteOutcome:
    p = suite.params(**params)
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "suite": suite.name,
        "day": day.isoformat() if day else None,
        "thresholds": jsonable(dataclasses.asdict(p)),
    }
    try:
        prepared = suite.prepare(con, day, p)
    except (duckdb.CatalogException, duckdb.BinderException) as exc:
        # A missing table or column is a broken pipeline, not a data problem.
        meta["error"] = str(exc).splitlines()[0][:500]
        meta["duration_s"] = round(time.perf_counter() - started, 3)
        return SuiteOutcome(
            suite.name, False, suite.severity, f"{suite.name}: cannot run: {meta['error']}", meta
        )
    day = prepared.extra.pop("day", day)
    meta["day"] = day.isoformat() if day else None
    meta["observed"] = jsonable(prepared.observed)
    meta.update(jsonable(prepared.extra))

    results: list[dict[str, Any]] = []
    if prepared.skipped is None:
        from expectations._gx import validate

        for batch in prepared.batches:
            if not batch.expectations:
                continue
            gx_result = validate(
                f"{suite.name}.{batch.label}", batch.frame, batch.expectations, EXAMPLES
            )
            results.extend(_summarise(batch, gx_result, suite.severity))
    else:
        meta["skipped"] = prepared.skipped

    failed = [r for r in results if not r["success"]]
    passed = not failed
    severity: Severity = suite.severity
    if failed:
        severity = max((r["severity"] for r in failed), key=_RANK.__getitem__)
    meta["expectations"] = results
    meta["failed_expectations"] = len(failed)
    meta["rows_validated"] = sum(len(b.frame) for b in prepared.batches)
    meta["duration_s"] = round(time.perf_counter() - started, 3)

    head = f"{suite.name}" + (f" {day.isoformat()}" if day else "")
    text = prepared.summary or ""
    if prepared.skipped:
        text = f"{text}; skipped: {prepared.skipped}" if text else f"skipped: {prepared.skipped}"
    if failed:
        text += "; failed: " + "; ".join(r["what"] for r in failed)
    return SuiteOutcome(
        suite.name,
        passed,
        severity,
        f"{head}: {'passed' if passed else 'FAILED'}: {text}",
        meta,
        day,
    )


def _summarise(batch: Batch, gx_result: Any, default: Severity) -> list[dict[str, Any]]:
    out = []
    frame = batch.frame
    columns = list(batch.example_columns or frame.columns)[:12]
    for r in gx_result.results:
        cfg = r.expectation_config
        kwargs = {
            k: v
            for k, v in cfg.kwargs.items()
            if k not in ("batch_id", "result_format", "condition_parser") and v is not None
        }
        item: dict[str, Any] = {
            "expectation": cfg.type,
            "frame": batch.label,
            "what": (cfg.meta or {}).get("what") or cfg.type,
            "success": bool(r.success),
            "severity": (cfg.meta or {}).get("severity", default),
            "kwargs": jsonable({k: _condition_text(v) for k, v in kwargs.items()}),
        }
        res = r.result or {}
        for key in ("observed_value", "element_count", "unexpected_count", "unexpected_percent"):
            if key in res:
                item[key] = jsonable(res[key])
        if r.exception_info and r.exception_info.get("raised_exception"):
            item["success"] = False
            item["exception"] = str(r.exception_info.get("exception_message"))[:300]
        if not item["success"]:
            idx = res.get("partial_unexpected_index_list") or []
            if idx:
                rows = frame.loc[list(idx)[:EXAMPLES], columns]
                item["failing_examples"] = jsonable(rows.to_dict(orient="records"))
            elif res.get("partial_unexpected_list"):
                item["failing_examples"] = jsonable(res["partial_unexpected_list"][:EXAMPLES])
        out.append(item)
    return out


def _condition_text(v: Any) -> Any:
    """Row conditions as short text (``type == 'track'``) instead of GX's nested dicts."""
    if hasattr(v, "dict") and type(v).__module__.startswith("great_expectations"):
        v = v.dict()
    if isinstance(v, dict) and v.get("type") == "comparison":
        name = (v.get("column") or {}).get("name")
        return f"{name} {v.get('operator')} {v.get('parameter')!r}"
    if isinstance(v, dict) and v.get("type") == "nullity":
        name = (v.get("column") or {}).get("name")
        return f"{name} is {'' if v.get('is_null') else 'not '}null"
    return v


def jsonable(v: Any) -> Any:
    """Plain JSON values: dates as ISO text, NaN/NaT/NA as None, numpy scalars as Python."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [jsonable(x) for x in v]
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (dt.datetime, dt.date)):
        try:
            return v.isoformat()
        except ValueError:  # NaT
            return None
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if hasattr(v, "tolist"):  # numpy scalar / array, pandas array
        return jsonable(v.tolist())
    try:
        import pandas as pd

        if v is pd.NA or v is pd.NaT:
            return None
        if isinstance(v, pd.Timestamp):
            return v.isoformat()
    except ImportError:  # pragma: no cover
        pass
    return str(v)


# --- helpers for suite modules -------------------------------------------------------


def fetch_df(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> Any:
    """Run ``sql`` (named ``$x`` or positional ``?`` parameters) into a pandas DataFrame."""
    # Through Arrow: dates stay dates, and DuckDB's .df() warns under pandas 3.
    return con.sql(sql, params=params or None).to_arrow_table().to_pandas()


def fetch_row(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> dict[str, Any]:
    """The first row of ``sql`` as a dict (all None when there is no row)."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    return dict(zip(names, rows[0], strict=True)) if rows else dict.fromkeys(names)


def latest_day(con: duckdb.DuckDBPyConnection, sql: str) -> dt.date | None:
    """The newest day (``sql`` selects one date), for suites called with ``day=None``."""
    rows = con.execute(sql).fetchall()
    return rows[0][0] if rows and rows[0][0] is not None else None


def newest_raw_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The newest received day in raw.events: the day-partitioned suites' default day."""
    return latest_day(con, "select max(received_day) from raw.events")


def one_row(**values: Any) -> Any:
    """A one-row DataFrame of aggregate values, for column expectations on aggregates."""
    import pandas as pd

    return pd.DataFrame(
        {k: pd.Series([v], dtype="float64" if _num(v) else object) for k, v in values.items()}
    )


def _num(v: Any) -> bool:
    return v is None or (isinstance(v, (int, float, Decimal)) and not isinstance(v, bool))


def gxe() -> Any:
    from expectations._gx import gx

    return gx().gxe


def col(name: str) -> Any:
    """A GX row-condition column: ``col("type") == "track"``."""
    from expectations._gx import gx

    return gx().Column(name)


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.2f}%"
