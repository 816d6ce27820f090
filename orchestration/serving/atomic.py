"""Atomic replacement on POSIX: readers see the old thing or the new one, never a mix.

os.replace is a rename(2) within one folder: a reader that already opened the old file
keeps its inode; the next open gets the new one. fsync of the folder makes the rename
itself durable, so a crash right after publishing cannot bring back the old name.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(tmp: Path, target: Path) -> None:
    """Move a finished file into place."""
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)
    fsync_dir(target.parent)


def write_text(target: Path, text: str, tmp: Path) -> None:
    tmp.write_text(text, encoding="utf-8")
    replace_file(tmp, target)


def swap_symlink(link: Path, points_to: str, tmp: Path) -> None:
    """Point `link` at `points_to` (relative, so the folder can be moved or mounted)."""
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(points_to)
    os.replace(tmp, link)  # fails if `link` is a real folder: never silently delete data
    fsync_dir(link.parent)
