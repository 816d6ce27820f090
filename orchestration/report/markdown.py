"""The key charts as markdown for the Dagster UI (asset metadata).

The UI renders MetadataValue.md as markdown, tables included; plotly figures need a
browser, so bars are drawn with block characters, which need nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from orchestration.report.charts import TOTAL
from orchestration.report.queries import ReportData

BAR_WIDTH = 20
MAX_COHORTS = 8
MAX_OFFSETS = 8
RECENT_DAYS = 14


def bar(fraction: float | None) -> str:
    if fraction is None:
        return ""
    return "█" * round(max(0.0, min(1.0, fraction)) * BAR_WIDTH)


def pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return "" if value is None else str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def funnels_md(data: ReportData) -> str:
    parts = []
    rows = [r for r in data["funnels"] if r["breakdown_value"] == TOTAL]
    for name, steps in groupby(rows, key=lambda r: r["funnel_name"]):
        body = [
            (
                f"{s['step_index']}. {s['step_name']}",
                s["persons"],
                pct(s["conversion_from_start"]),
                pct(s["conversion_from_previous"]),
                bar(s["conversion_from_start"]),
            )
            for s in steps
        ]
        header = ["step", "persons", "from start", "from previous", ""]
        parts.append(f"**{name}**\n\n" + table(header, body))
    return "\n\n".join(parts) or "_no funnels_"


def retention_md(data: ReportData) -> str:
    parts = []
    for name, rows in groupby(data["retention"], key=lambda r: r["retention_name"]):
        rows = list(rows)
        cohorts = sorted({(r["cohort_start"], r["cohort_size"]) for r in rows})[-MAX_COHORTS:]
        offsets = sorted({r["period_offset"] for r in rows})[:MAX_OFFSETS]
        cell = {(r["cohort_start"], r["period_offset"]): r["retention_rate"] for r in rows}
        body = [(f"{c} ({n})", *(pct(cell.get((c, o))) for o in offsets)) for c, n in cohorts]
        header = ["cohort (size)", *(f"{rows[0]['period']} {o}" for o in offsets)]
        parts.append(f"**{name}** (latest {len(cohorts)} cohorts)\n\n" + table(header, body))
    return "\n\n".join(parts) or "_no retention definitions_"


def active_md(data: ReportData) -> str:
    rows = data["active"][-RECENT_DAYS:]
    peak = max((r["daily_active_persons"] for r in rows), default=0) or 1
    body = [
        (
            r["activity_date"],
            r["daily_active_persons"],
            r["weekly_active_persons"],
            r["monthly_active_persons"],
            bar(r["daily_active_persons"] / peak),
        )
        for r in rows
    ]
    return table(["day", "DAU", "WAU", "MAU", "DAU"], body)


def _shares(pairs: list[tuple[str, int]], label: str, unit: str) -> str:
    total = sum(n for _, n in pairs) or 1
    return table(
        [label, unit, "share", ""], [(k, n, pct(n / total), bar(n / total)) for k, n in pairs]
    )


def sessions_md(data: ReportData) -> str:
    by_channel: dict[str, int] = {}
    for r in data["sessions_by_channel"]:
        by_channel[r["channel"]] = by_channel.get(r["channel"], 0) + r["sessions"]
    channels = sorted(by_channel.items(), key=lambda kv: -kv[1])
    countries = [(r["country"], r["sessions"]) for r in data["sessions_by_country"]]
    return (
        _shares(channels, "channel", "sessions")
        + "\n\n"
        + _shares(countries, f"country (top {len(countries)})", "sessions")
    )


def rejected_md(data: ReportData) -> str:
    by_reason: dict[str, int] = {}
    for r in data["rejected"]:
        by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + r["rows"]
    if not by_reason:
        return "_no rejected rows_"
    # A line can have several reasons, so shares are of reason codes, not of lines.
    return _shares(sorted(by_reason.items(), key=lambda kv: -kv[1]), "reason", "lines")


def all_markdown(data: ReportData) -> dict[str, str]:
    return {
        "funnels": funnels_md(data),
        "retention": retention_md(data),
        "active_persons": active_md(data),
        "sessions": sessions_md(data),
        "rejected_by_reason": rejected_md(data),
    }
