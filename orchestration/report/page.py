"""One self-contained HTML page: plotly.js is inlined once, so it opens without a network."""

from __future__ import annotations

from html import escape

import plotly.io as pio

from orchestration.report.charts import Chart

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1300px; padding: 1em 2em;
       color: #222; }
header p, section p { color: #555; margin: 0.2em 0 0.6em; }
nav a { margin-right: 1em; }
section { border-top: 1px solid #ddd; padding-top: 0.5em; margin-top: 1em; }
h2 { margin: 0.4em 0 0; font-size: 1.2em; }
"""


def render_page(charts: list[Chart], publish: dict) -> str:
    sections = []
    for i, chart in enumerate(charts):
        plot = pio.to_html(
            chart.figure,
            full_html=False,
            include_plotlyjs=i == 0,  # the whole library, inline, before the first chart
            div_id=f"plot-{chart.id}",
            config={"displaylogo": False, "responsive": True},
        )
        sections.append(
            f'<section class="chart" id="{escape(chart.id)}">'
            f"<h2>{escape(chart.title)}</h2><p>{escape(chart.note)}</p>{plot}</section>"
        )
    nav = " ".join(f'<a href="#{escape(c.id)}">{escape(c.title)}</a>' for c in charts)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>spoor report {escape(str(publish["publish_id"]))}</title>
<style>{STYLE}</style></head>
<body>
<header><h1>spoor report</h1>
<p>Build {escape(str(publish["publish_id"]))}, published {escape(str(publish["published_at"]))}
UTC (run {escape(str(publish["run_id"]))}), from the serving snapshot.</p>
<nav>{nav}</nav></header>
{"".join(sections)}
</body></html>
"""
