"""Events roots made from the sample: its first days only, or all of it plus a bad file."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

LAYOUT = "segment-logs"


def day_folders(events: Path) -> list[Path]:
    """segment-logs/<source_id>/<received_day_ms>/, oldest day first."""
    return sorted((events / LAYOUT).glob("*/*"), key=lambda p: (int(p.name), p.parent.name))


def link_days(events: Path, target: Path, days: set[str] | None = None) -> Path:
    """An events root holding the sample's files of `days` (all by default), hard-linked
    (the file lister does not follow symlinked folders; links cost no space)."""
    for folder in day_folders(events):
        if days is None or folder.name in days:
            copy = target / LAYOUT / folder.parent.name / folder.name
            copy.mkdir(parents=True)
            for file in folder.iterdir():
                try:
                    os.link(file, copy / file.name)
                except OSError:  # another filesystem
                    shutil.copy2(file, copy / file.name)
    return target


def first_days(events: Path, target: Path, fraction: float = 0.5) -> Path:
    days = sorted({p.name for p in day_folders(events)}, key=int)
    return link_days(events, target, set(days[: max(1, int(len(days) * fraction))]))


def with_junk_identity(events: Path, target: Path, anonymous_ids: int) -> Path:
    """All of the sample plus one file, received the day after its last day, in which a
    junk userId missing from the junk_identifiers seed is identified from `anonymous_ids`
    devices. Every line is valid, so it loads; the identity graph glues all of those
    devices into one person, which the blocking identity-health check must refuse."""
    link_days(events, target)
    last = max(day_folders(events), key=lambda p: int(p.name))
    day_ms = int(last.name) + 86_400_000
    received = datetime.fromtimestamp(day_ms / 1000, UTC) + timedelta(hours=1)
    stamp = received.isoformat().replace("+00:00", "Z")
    lines = [
        json.dumps(
            {
                "messageId": f"junk-identify-{i}",
                "type": "identify",
                "anonymousId": f"junk-device-{i}",
                "userId": "shared-demo-login",
                "timestamp": stamp,
                "receivedAt": stamp,
                "traits": {},
            }
        )
        for i in range(anonymous_ids)
    ]
    out = target / LAYOUT / last.parent.name / str(day_ms) / "junk-identity.gz"
    out.parent.mkdir(parents=True)
    out.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return target
