"""Where things live in the serving folder (Settings.serving). Nothing else spells these names.

<serving>/spoor.duckdb           read-only snapshot of the marts and audit schemas
<serving>/parquet/<schema>/<table>.parquet
                                 `parquet` is a symlink to versions/<publish_id>
<serving>/versions/<publish_id>/ one folder per publish (Parquet files + its manifest)
<serving>/manifest.json          the current publish: id, time, run, tables, row counts
<serving>/report.html            the charts, drawn from the snapshot
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SNAPSHOT = "spoor.duckdb"
PARQUET = "parquet"
VERSIONS = "versions"
MANIFEST = "manifest.json"
REPORT = "report.html"
# Work in progress: a dot-prefixed name in the same folder (so os.replace stays on one
# filesystem, hence atomic) that no reader would mistake for a published file.
TMP_PREFIX = ".tmp-"


def new_publish_id(now: datetime | None = None) -> str:
    """Sortable by time, so version folders list in publish order."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


@dataclass(frozen=True)
class ServingLayout:
    root: Path

    @property
    def snapshot(self) -> Path:
        return self.root / SNAPSHOT

    @property
    def parquet(self) -> Path:
        return self.root / PARQUET

    @property
    def versions(self) -> Path:
        return self.root / VERSIONS

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def report(self) -> Path:
        return self.root / REPORT

    def version(self, publish_id: str) -> Path:
        return self.versions / publish_id

    def tmp(self, name: str) -> Path:
        return self.root / f"{TMP_PREFIX}{name}"

    def parquet_file(self, schema: str, table: str, publish_id: str | None = None) -> Path:
        base = self.version(publish_id) if publish_id else self.parquet
        return base / schema / f"{table}.parquet"
