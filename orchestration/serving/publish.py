"""Publish the last good build to the serving folder, atomically, without touching readers.

Everything is built under temporary names first; then three renames put it in place,
the manifest last, so when manifest.json names a publish, every file of it is live:

    1. <serving>/spoor.duckdb   os.replace of the finished snapshot
    2. <serving>/parquet        symlink swapped to versions/<publish_id>
    3. <serving>/manifest.json  os.replace

A reader never opens a file that is being written, and the publisher never opens a file
a reader has open, so neither waits for the other (DuckDB's lock is per inode).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestration.serving import atomic
from orchestration.serving.layout import ServingLayout, new_publish_id
from orchestration.serving.prune import GRACE_SECONDS, prune
from orchestration.serving.snapshot import Relation, build_snapshot, export_parquet


@dataclass(frozen=True)
class Publication:
    publish_id: str
    run_id: str
    published_at: str
    tables: dict[str, int]  # "schema.table" -> rows
    layout: ServingLayout

    def manifest(self) -> dict:
        return {
            "publish_id": self.publish_id,
            "run_id": self.run_id,
            "published_at": self.published_at,
            "snapshot": self.layout.snapshot.name,
            "parquet": f"{self.layout.parquet.name}/<schema>/<table>.parquet",
            "tables": dict(sorted(self.tables.items())),
        }


def read_manifest(serving: str | Path) -> dict | None:
    path = ServingLayout(Path(serving)).manifest
    return json.loads(path.read_text()) if path.exists() else None


def publish(
    warehouse: str | Path,
    serving: str | Path,
    relations: list[Relation],
    run_id: str,
    grace_seconds: float = GRACE_SECONDS,
) -> Publication:
    layout = ServingLayout(Path(serving))
    layout.versions.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    publish_id = new_publish_id(now)
    meta = {
        "publish_id": publish_id,
        "run_id": run_id,
        # naive UTC, as every timestamp in the marts
        "published_at": now.replace(tzinfo=None).isoformat(timespec="seconds"),
    }
    tmp_db = layout.tmp(f"{publish_id}.duckdb")
    version = layout.version(publish_id)
    linked = False
    try:
        tables = build_snapshot(Path(warehouse), tmp_db, relations, meta)
        export_parquet(tmp_db, version, relations)
        publication = Publication(**meta, tables=tables, layout=layout)
        manifest = json.dumps(publication.manifest(), indent=2) + "\n"
        (version / layout.manifest.name).write_text(manifest)
        atomic.replace_file(tmp_db, layout.snapshot)
        atomic.swap_symlink(
            layout.parquet,
            f"{layout.versions.name}/{publish_id}",
            layout.tmp(f"{publish_id}.link"),
        )
        linked = True
        atomic.write_text(layout.manifest, manifest, layout.tmp(f"{publish_id}.json"))
    finally:
        # On failure the published files stay as they were; only our own leftovers go.
        for leftover in layout.root.glob(f"{layout.tmp(publish_id).name}*"):
            leftover.unlink(missing_ok=True)
        if not linked:
            shutil.rmtree(version, ignore_errors=True)
    prune(layout, grace_seconds)
    return publication
