"""Markdown previews of the funnel and retention marts, shown as asset metadata in the UI."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

MAX_COHORTS = 12
MAX_OFFSETS = 8


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.1f}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def funnel_preview(con: duckdb.DuckDBPyConnection) -> str:
    rows = con.execute(
        """
        select funnel_name, step_index, step_name, persons, conversion_from_start,
               conversion_from_previous
        from marts.fct_funnel_steps
        where breakdown_value = '(all)'
        order by funnel_name, step_index
        """
    ).fetchall()
    header = ["funnel", "step", "name", "persons", "from start", "from previous"]
    return markdown_table(header, rows) if rows else "_no funnel rows_"


def retention_preview(con: duckdb.DuckDBPyConnection) -> str:
    """One cohort x offset matrix of rates per retention definition (newest cohorts)."""
    names = [r[0] for r in con.execute(
        "select distinct retention_name from marts.fct_retention order by 1"
    ).fetchall()]  # fmt: skip
    parts = []
    for name in names:
        cells = con.execute(
            """
            with cohorts as (
                select distinct cohort_start from marts.fct_retention
                where retention_name = $name order by cohort_start desc limit $cohorts
            )
            select r.cohort_start, r.cohort_size, r.period_offset, r.retention_rate
            from marts.fct_retention as r join cohorts using (cohort_start)
            where r.retention_name = $name and r.period_offset < $offsets
            order by r.cohort_start, r.period_offset
            """,
            {"name": name, "cohorts": MAX_COHORTS, "offsets": MAX_OFFSETS},
        ).fetchall()
        matrix: dict[tuple, dict[int, float]] = {}
        for cohort, size, offset, rate in cells:
            matrix.setdefault((cohort, size), {})[offset] = rate
        offsets = sorted({offset for _, _, offset, _ in cells})
        rows = [
            [cohort, size, *(by_offset.get(o) for o in offsets)]
            for (cohort, size), by_offset in matrix.items()
        ]
        header = ["cohort", "size", *(f"+{o}" for o in offsets)]
        parts.append(f"**{name}**\n\n" + markdown_table(header, rows))
    return "\n\n".join(parts) if parts else "_no retention rows_"


PREVIEWS = {
    ("marts", "fct_funnel_steps"): funnel_preview,
    ("marts", "fct_retention"): retention_preview,
}
