"""The HTML report: drawn from the serving snapshot, published beside it as report.html."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.report.charts import all_charts
from orchestration.report.markdown import all_markdown
from orchestration.report.page import render_page
from orchestration.report.queries import read_report_data
from orchestration.serving import ServingLayout
from orchestration.serving.atomic import write_text


@dataclass(frozen=True)
class ReportResult:
    path: Path
    publish_id: str
    charts: list[str]  # section ids, in page order
    markdown: dict[str, str]  # title -> markdown, for the Dagster UI


def write_report(serving: Path) -> ReportResult:
    layout = ServingLayout(serving)
    data = read_report_data(layout.snapshot)
    charts = all_charts(data)
    html = render_page(charts, data.publish)
    publish_id = data.publish["publish_id"]
    write_text(layout.report, html, layout.tmp(f"{publish_id}.html"))
    return ReportResult(layout.report, publish_id, [c.id for c in charts], all_markdown(data))
