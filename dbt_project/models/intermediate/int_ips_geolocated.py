"""Country for every distinct IP, looked up once each in geoip2fast's bundled database
(on an incremental run, only IPs not seen before).
Output is keyed by the raw IP and read only by int_events_enriched, which drops the IP."""

import pandas as pd
from geoip2fast import GeoIP2Fast


def lookup_country(geoip: GeoIP2Fast, ip: str) -> str | None:
    try:
        result = geoip.lookup(ip)
    except Exception:
        return None
    code = getattr(result, "country_code", None)
    # geoip2fast uses "--" (not found) and "" for private / reserved ranges.
    return code if code and code != "--" and len(code) == 2 else None


def model(dbt, session):
    # Incremental: looks up only IPs not looked up yet (the bundled database is fixed
    # for an installed version; a full refresh looks every IP up again).
    dbt.config(materialized="incremental", unique_key="ip")
    events = dbt.ref("stg_raw__events")
    values = events.filter("ip is not null").select("ip").distinct()
    if dbt.is_incremental:
        values = values.filter(f"ip not in (select ip from {dbt.this})")
    rows = values.fetchall()
    geoip = GeoIP2Fast() if rows else None
    return pd.DataFrame(
        [{"ip": ip, "country_code": lookup_country(geoip, ip)} for (ip,) in rows],
        columns=["ip", "country_code"],
    ).astype({"ip": "string", "country_code": "string"})
