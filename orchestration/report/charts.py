"""The report's charts as plotly figures, one function per chart, from ReportData rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby

import plotly.graph_objects as go
from plotly.colors import qualitative

from orchestration.report.queries import ReportData

MAX_BREAKDOWNS = 8  # the largest breakdown values by step-1 persons; the rest is noise
TOTAL = "(all)"


@dataclass(frozen=True)
class Chart:
    id: str  # the section's HTML id (the test finds each chart by it)
    title: str
    note: str
    figure: go.Figure


def _layout(fig: go.Figure, height: int = 420, **kwargs) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.15},
        **kwargs,
    )
    return fig


def _label(value: str) -> str:
    return value if value else "(none)"


def funnel_charts(data: ReportData) -> list[Chart]:
    charts = []
    by_funnel = groupby(data["funnels"], key=lambda r: r["funnel_name"])
    for name, rows in by_funnel:
        rows = list(rows)
        total = [r for r in rows if r["breakdown_value"] == TOTAL]
        fig = go.Figure(
            go.Funnel(
                y=[f"{r['step_index']}. {r['step_name']}" for r in total],
                x=[r["persons"] for r in total],
                textinfo="value+percent initial+percent previous",
                marker={"color": "#4c78a8"},
            )
        )
        charts.append(
            Chart(
                f"funnel-{name}",
                f"Funnel: {name}",
                "Persons at each step (their furthest step); % of step 1 and % of the "
                "previous step.",
                _layout(fig, height=120 + 70 * len(total)),
            )
        )
        breakdown = [r for r in rows if r["breakdown_value"] != TOTAL]
        if breakdown:
            charts.append(_breakdown_chart(name, breakdown))
    return charts


def _breakdown_chart(name: str, rows: list[dict]) -> Chart:
    starts = {r["breakdown_value"]: r["persons"] for r in rows if r["step_index"] == 1}
    values = sorted(starts, key=lambda v: (-starts[v], v))[:MAX_BREAKDOWNS]
    fig = go.Figure()
    for value in values:
        steps = [r for r in rows if r["breakdown_value"] == value]
        fig.add_bar(
            name=f"{_label(value)} ({starts[value]})",
            x=[f"{r['step_index']}. {r['step_name']}" for r in steps],
            y=[r["conversion_from_start"] for r in steps],
            customdata=[r["persons"] for r in steps],
            hovertemplate="%{x}: %{y:.1%} (%{customdata} persons)",
        )
    return Chart(
        f"funnel-{name}-breakdown",
        f"Funnel: {name}, by breakdown",
        f"Conversion from step 1, per breakdown value (the {len(values)} largest; "
        "legend: persons at step 1).",
        _layout(fig, barmode="group", yaxis={"tickformat": ".0%", "range": [0, 1.05]}),
    )


def retention_charts(data: ReportData) -> list[Chart]:
    charts = []
    for name, rows in groupby(data["retention"], key=lambda r: r["retention_name"]):
        rows = list(rows)
        cohorts = sorted({(r["cohort_start"], r["cohort_size"]) for r in rows})
        offsets = sorted({r["period_offset"] for r in rows})
        cell = {(r["cohort_start"], r["period_offset"]): r for r in rows}
        z = [[_rate(cell.get((c, o))) for o in offsets] for c, _ in cohorts]
        text = [["" if v is None else f"{v:.0%}" for v in line] for line in z]
        period = rows[0]["period"]
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=[f"{period} {o}" for o in offsets],
                y=[f"{c} ({n})" for c, n in cohorts],
                text=text,
                texttemplate="%{text}",
                colorscale="Blues",
                zmin=0,
                zmax=1,
                colorbar={"tickformat": ".0%"},
                hovertemplate="cohort %{y}, %{x}: %{z:.1%}<extra></extra>",
            )
        )
        charts.append(
            Chart(
                f"retention-{name}",
                f"Retention: {name}",
                f"Share of each {period}'s cohort (size in brackets) back k {period}s later.",
                _layout(fig, height=160 + 22 * len(cohorts), yaxis={"autorange": "reversed"}),
            )
        )
    return charts


def _rate(row: dict | None) -> float | None:
    return None if row is None else row["retention_rate"]


def active_persons_chart(data: ReportData) -> Chart:
    rows = data["active"]
    fig = go.Figure()
    for column, label in [
        ("daily_active_persons", "daily (DAU)"),
        ("weekly_active_persons", "weekly (WAU, 7 days)"),
        ("monthly_active_persons", "monthly (MAU, 30 days)"),
    ]:
        fig.add_scatter(
            x=[r["activity_date"] for r in rows], y=[r[column] for r in rows], name=label
        )
    return Chart(
        "active-persons",
        "Active persons",
        "Persons with a track, page or screen event in the day / 7 / 30 days ending that day.",
        _layout(fig),
    )


def sessions_by_channel_chart(data: ReportData) -> Chart:
    series: dict[str, dict] = defaultdict(dict)
    for r in data["sessions_by_channel"]:
        series[r["channel"]][r["day"]] = r["sessions"]
    days = sorted({r["day"] for r in data["sessions_by_channel"]})
    fig = go.Figure()
    for channel in sorted(series, key=lambda c: -sum(series[c].values())):
        fig.add_bar(name=channel, x=days, y=[series[channel].get(d, 0) for d in days])
    return Chart(
        "sessions-by-channel",
        "Sessions by channel",
        "Sessions per day, by the channel of their first touch.",
        _layout(fig, barmode="stack"),
    )


def sessions_by_country_chart(data: ReportData) -> Chart:
    rows = list(reversed(data["sessions_by_country"]))  # largest on top
    fig = go.Figure(
        go.Bar(x=[r["sessions"] for r in rows], y=[r["country"] for r in rows], orientation="h")
    )
    return Chart(
        "sessions-by-country",
        "Sessions by country",
        f"All sessions, the {len(rows)} countries with the most.",
        _layout(fig, height=120 + 25 * len(rows)),
    )


def rejected_chart(data: ReportData) -> Chart:
    series: dict[str, dict] = defaultdict(dict)
    for r in data["rejected"]:
        series[r["reason"]][r["received_day"]] = r["rows"]
    days = sorted({r["received_day"] for r in data["rejected"]}, key=str)
    fig = go.Figure()
    for reason in sorted(series):
        fig.add_bar(name=reason, x=days, y=[series[reason].get(d, 0) for d in days])
    if not series:
        fig.add_annotation(text="no rejected rows", showarrow=False)
    return Chart(
        "rejected-rows",
        "Rejected rows by reason",
        "Lines kept in audit.rejected_events, per received day and reason code (a line "
        "can have several).",
        # More reason codes than the default palette has colours: no two may look alike.
        _layout(fig, barmode="stack", colorway=qualitative.Dark24),
    )


def all_charts(data: ReportData) -> list[Chart]:
    return [
        *funnel_charts(data),
        *retention_charts(data),
        active_persons_chart(data),
        sessions_by_channel_chart(data),
        sessions_by_country_chart(data),
        rejected_chart(data),
    ]
