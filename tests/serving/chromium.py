"""Headless Chromium (Debian's `chromium`), offline: the DOM after scripts ran, screenshots."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # Let plotly finish drawing (it renders after load, in animation frames).
    "--virtual-time-budget=20000",
]


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: install Debian's `chromium` package (CI must install it); "
        "the report test renders the page in a real browser"
    )
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )


def dump_dom(page: Path, profile: Path) -> str:
    return chromium(page, profile, "--dump-dom").stdout


def screenshot(page: Path, profile: Path, out: Path, width: int, height: int) -> Path:
    chromium(page, profile, f"--screenshot={out}", f"--window-size={width},{height}")
    assert out.exists() and out.stat().st_size > 0, f"no screenshot at {out}"
    return out


SECTION = re.compile(r'<section class="chart" id="([^"]+)">(.*?)</section>', re.S)
MARKS = {
    "main_svg": re.compile(r'<svg class="main-svg"'),
    # A bar or funnel segment with geometry (plotly draws "M0,0Z" for an empty one).
    "bars": re.compile(r'<g class="point"><path d="M(?!0,0Z)[^"]+"'),
    "lines": re.compile(r'<path class="js-line" d="M[^"]+"'),
    "heatmaps": re.compile(r'<g class="hm"><image [^>]*href="data:image/png;base64,[^"]+"'),
}


def census(dom: str) -> dict[str, dict[str, int]]:
    """Per <section class="chart" id=...>: plotly's SVG roots and the marks it drew."""
    return {
        chart: {name: len(pattern.findall(body)) for name, pattern in MARKS.items()}
        for chart, body in SECTION.findall(dom)
    }
