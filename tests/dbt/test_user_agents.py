"""The user-agent classifier of the int_user_agents_parsed Python model, as a pure function."""

import importlib.util
from pathlib import Path

import pytest

MODEL = (
    Path(__file__).resolve().parents[2]
    / "dbt_project/models/intermediate/int_user_agents_parsed.py"
)
spec = importlib.util.spec_from_file_location("int_user_agents_parsed", MODEL)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)


@pytest.mark.parametrize(
    ("user_agent", "device_type", "browser_family"),
    [
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "desktop",
            "Chrome",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "mobile",
            "Chrome Mobile",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "tablet",
            "Chrome",
        ),
        ("Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240205.004)", "mobile", None),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
            "tablet",
            "Mobile Safari",
        ),
        ("Shop/4.12.0 (iPhone; iOS 17.4.1; Scale/3.00)", "mobile", None),
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "bot",
            "Googlebot",
        ),
        ("python-requests/2.31.0", "bot", None),
        ("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0.0.0 Safari/537.36", "bot", None),
    ],
)
def test_parse_user_agent(user_agent, device_type, browser_family):
    parsed = module.parse_user_agent(user_agent)
    assert parsed["device_type"] == device_type
    assert parsed["is_bot"] == (device_type == "bot")
    if browser_family:
        assert parsed["browser_family"] == browser_family
