"""Delete Parquet versions that no reader can still be starting to read.

A reader that has a file open keeps it after deletion (POSIX), but a reader that resolved
`parquet/` to an old version a moment ago may not have opened every file yet. So a
version is kept for a grace period after it stopped being current: the time its
successor was published, which its successor's id records.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from itertools import pairwise

from orchestration.serving.layout import TMP_PREFIX, ServingLayout

GRACE_SECONDS = 3600.0


def _published_at(publish_id: str) -> float | None:
    try:
        return datetime.strptime(publish_id, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None  # not ours: leave it alone


def prune(layout: ServingLayout, grace_seconds: float, now: float | None = None) -> list[str]:
    """Remove superseded versions and stale temporary files; return what was removed."""
    now = time.time() if now is None else now
    current = os.readlink(layout.parquet).split("/")[-1] if layout.parquet.is_symlink() else None
    ids = sorted(p.name for p in layout.versions.iterdir() if _published_at(p.name) is not None)
    removed = []
    for older, newer in pairwise(ids):
        superseded_at = _published_at(newer)
        if older != current and now - superseded_at > grace_seconds:
            shutil.rmtree(layout.version(older), ignore_errors=True)
            removed.append(older)
    # Leftovers of a publish that was killed before it could clean up.
    for tmp in layout.root.glob(f"{TMP_PREFIX}*"):
        if now - tmp.lstat().st_mtime > grace_seconds:
            tmp.unlink(missing_ok=True)
            removed.append(tmp.name)
    return removed
