"""A BI-tool-like reader, run as a separate process: SQLAlchemy + duckdb-engine, read-only.

    python -m tests.serving.reader SERVING TABLES_JSON OUT STOP --mode reconnect|hold

Loops until the STOP file exists, appending one JSON line per query round to OUT:
{"t", "publish_id", "counts"} or {"t", "error"}. In `reconnect` mode every round is a new
connection (NullPool, as Superset uses) and also counts the Parquet files of the version
`parquet/` points to; in `hold` mode one connection stays open for the whole loop.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

PAUSE_S = 0.2  # two cores are shared with the run under test


def snapshot_round(conn, tables: list[str]) -> dict:
    publish_id = conn.execute(sa.text("select publish_id from serving.publish")).scalar_one()
    counts = {t: conn.execute(sa.text(f"select count(*) from {t}")).scalar_one() for t in tables}
    return {"publish_id": publish_id, "counts": counts}


def parquet_round(conn, serving: Path, tables: list[str]) -> dict:
    # Resolve the symlink once: every file then comes from the same version.
    version = Path(os.path.realpath(serving / "parquet"))
    manifest = json.loads((version / "manifest.json").read_text())
    counts = {}
    for name in tables:
        schema, table = name.split(".")
        path = version / schema / f"{table}.parquet"
        query = sa.text("select count(*) from read_parquet(:p)")
        counts[name] = conn.execute(query, {"p": str(path)}).scalar_one()
    return {"parquet_publish_id": manifest["publish_id"], "counts": counts}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("serving", type=Path)
    parser.add_argument("tables", help="JSON list of schema.table")
    parser.add_argument("out", type=Path)
    parser.add_argument("stop", type=Path)
    parser.add_argument("--mode", choices=["reconnect", "hold"], required=True)
    args = parser.parse_args()
    tables = json.loads(args.tables)
    url = f"duckdb:///{args.serving / 'spoor.duckdb'}?access_mode=read_only"
    with args.out.open("a") as out:

        def record(**row) -> None:
            out.write(json.dumps({"t": time.time(), **row}) + "\n")
            out.flush()

        if args.mode == "hold":
            engine = sa.create_engine(url)
            with engine.connect() as conn:
                while not args.stop.exists():
                    try:
                        record(**snapshot_round(conn, tables))
                    except Exception as exc:  # recorded: the test asserts there are none
                        record(error=repr(exc))
                    time.sleep(PAUSE_S)
            return
        engine = sa.create_engine(url, poolclass=NullPool)
        memory = sa.create_engine("duckdb:///:memory:", poolclass=NullPool)
        while not args.stop.exists():
            try:
                with engine.connect() as conn:
                    record(**snapshot_round(conn, tables))
                with memory.connect() as conn:
                    record(**parquet_round(conn, args.serving, tables))
            except Exception as exc:
                record(error=repr(exc))
            time.sleep(PAUSE_S)


if __name__ == "__main__":
    main()
