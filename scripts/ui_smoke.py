"""Try the Dagster UI as a new user would: start `spoor ui`, open pages in headless Chromium.

    uv run python -m scripts.ui_smoke [--port 3311] [--out /tmp/spoor-ui]

Needs Debian's chromium (`apt-get install chromium`). Prints what it finds and writes a
screenshot per page; exits non-zero when an expected asset or check name is missing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from spoor.settings import REPO_ROOT

PAGES = {
    # page path -> names that must appear on it once the UI has rendered
    # the global lineage page shows one box per layer
    "asset-groups": ["raw", "config", "staging", "intermediate", "marts", "audit", "serving"],
    "assets/marts/fct_events": ["fct_events", "marts"],
    "assets/raw/file_manifest?view=checks": ["lines_reconcile"],
    "assets/marts/fct_retention?view=checks": ["gx_marts_retention"],
    "assets/staging/stg_raw__events?view=checks": ["gx_staging_unique_message_ids"],
    "automation": ["nightly", "new_files"],
}
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1600,1000", "--virtual-time-budget=20000",
]  # fmt: skip


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(2)
    raise TimeoutError(f"{url} did not answer in {seconds:.0f} s")


def chromium(*args: str, profile: str) -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise SystemExit("chromium not found: apt-get install chromium")
    command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=3311)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "spoor-ui")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DAGSTER_HOME": str(args.out / "dagster_home")}
    server = subprocess.Popen(
        [sys.executable, "-m", "spoor.cli", "ui", "-p", str(args.port)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    missing: list[str] = []
    try:
        base = f"http://127.0.0.1:{args.port}"
        wait_for(f"{base}/server_info", 420)
        for page, names in PAGES.items():
            url = f"{base}/{page}"
            shot = args.out / (page.split("?")[0].replace("/", "_") + ".png")
            with tempfile.TemporaryDirectory() as profile:
                dom = chromium("--dump-dom", url, profile=profile)
            with tempfile.TemporaryDirectory() as profile:
                chromium(f"--screenshot={shot}", url, profile=profile)
            found = [name for name in names if name in dom]
            missing += [f"{page}: {name}" for name in names if name not in dom]
            print(f"{url}: found {found}, screenshot {shot}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    if missing:
        print("missing: " + "; ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
