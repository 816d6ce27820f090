"""Browser, OS and device type for every distinct user agent, parsed once each with
ua-parser (regexes from ua-parser-builtins): thousands of UAs, not millions of events,
and on an incremental run only the new ones."""

import re

import pandas as pd
from ua_parser import parse

# ua-parser marks crawlers as device "Spider"; these catch the headless and HTTP
# clients it does not know.
BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|headless|lighthouse|phantomjs|python-requests|curl/|wget/"
    r"|httpclient|okhttp|go-http-client|scrapy|facebookexternalhit|preview",
    re.IGNORECASE,
)
TABLET_DEVICES = {"iPad", "Kindle", "Kindle Fire"}


def _version(part) -> str | None:
    numbers = [n for n in (part.major, part.minor) if n] if part else []
    return ".".join(numbers) or None


def parse_user_agent(user_agent: str) -> dict:
    result = parse(user_agent)
    ua, os_, device = result.user_agent, result.os, result.device
    device_family = device.family if device else "Other"
    is_bot = device_family == "Spider" or bool(BOT_PATTERN.search(user_agent))
    if is_bot:
        device_type = "bot"
    elif (
        device_family in TABLET_DEVICES
        or "Tablet" in user_agent
        # Android browsers say "Mobile" on phones only; app runtimes (Dalvik) never do.
        or ("Android" in user_agent and "Mobile" not in user_agent and "Dalvik" not in user_agent)
    ):
        device_type = "tablet"
    elif "Mobi" in user_agent or "Android" in user_agent or device_family == "iPhone":
        device_type = "mobile"
    else:
        device_type = "desktop"
    return {
        "user_agent": user_agent,
        "browser_family": ua.family if ua else "Other",
        "browser_version": _version(ua),
        "os_family": os_.family if os_ else "Other",
        "os_version": _version(os_),
        "device_family": device_family,
        "device_type": device_type,
        "is_bot": is_bot,
    }


def model(dbt, session):
    # Incremental: parses only user agents not parsed yet (a parse depends on the string
    # alone; a value no event carries any more is never joined).
    dbt.config(materialized="incremental", unique_key="user_agent")
    events = dbt.ref("stg_raw__events")
    values = events.filter("user_agent is not null").select("user_agent").distinct()
    if dbt.is_incremental:
        values = values.filter(f"user_agent not in (select user_agent from {dbt.this})")
    rows = values.fetchall()
    parsed = [parse_user_agent(user_agent) for (user_agent,) in rows]
    columns = [
        "user_agent",
        "browser_family",
        "browser_version",
        "os_family",
        "os_version",
        "device_family",
        "device_type",
        "is_bot",
    ]
    # Explicit dtypes: with no user agents at all (an empty first load) the columns would
    # otherwise reach DuckDB as type NULL and break the marts' enforced contracts.
    types = dict.fromkeys(columns, "string") | {"is_bot": "bool"}
    return pd.DataFrame(parsed, columns=columns).astype(types)
