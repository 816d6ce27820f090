"""Faulty lines, each built from a clean message and tagged with the reason codes the
ingestion must give it (docs/design.md). A faulty line is always an *extra* line."""

from __future__ import annotations

import orjson

from simulator.behaviour import uid

# Required properties we may drop, per event (a subset of the tracking plan's `required`).
REQUIRED = {
    "Product Viewed": "category",
    "Product Added": "quantity",
    "Checkout Started": "item_count",
    "Order Completed": "products",
    "Products Searched": "query",
    "Signed Up": "method",
    "Logged In": "method",
    "Coupon Applied": "coupon",
}
WITH_CURRENCY = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed")

# kind -> (which clean events can serve as the base, expected reason codes)
KINDS: dict[str, tuple[tuple[str, ...] | None, list[str]]] = {
    "malformed_json": (None, ["invalid_json"]),
    "invalid_utf8": (("Products Searched",), ["invalid_utf8"]),
    "missing_message_id": (None, ["missing_message_id"]),
    "unknown_type": (None, ["unknown_type"]),
    "missing_identity": (
        ("Product Viewed", "Products Searched", "Checkout Started"),
        ["missing_identity"],
    ),
    "property_type": (("Product Added",), ["property_type"]),
    "property_missing": (tuple(REQUIRED), ["property_missing"]),
    "property_enum": (WITH_CURRENCY, ["property_enum"]),
    "property_too_long": (("Products Searched",), ["property_too_long"]),
    "property_type_and_enum": (("Product Added",), ["property_enum", "property_type"]),
    "unknown_event": (None, ["unknown_event"]),
}


def make_line(kind: str, d: dict, rng) -> bytes:
    """Turn a clean message dict (a private copy) into the faulty line of `kind`."""
    if kind != "missing_message_id":
        d["messageId"] = uid(rng)
    props = dict(d["properties"]) if isinstance(d.get("properties"), dict) else None
    if props is not None:
        d["properties"] = props
    if kind == "malformed_json":
        raw = orjson.dumps(d)
        cut = rng.randrange(10, len(raw) - 5)
        while raw[cut - 1] >= 0x80:  # never split a UTF-8 sequence: only invalid_json
            cut -= 1
        return raw[:cut]
    if kind == "invalid_utf8":
        props["query"] = "caf\u00e9 " + props["query"]
        return orjson.dumps(d).replace("caf\u00e9".encode(), b"caf\xe9", 1)
    if kind == "missing_message_id":
        del d["messageId"]
    elif kind == "unknown_type":
        d["type"] = "pageview"
    elif kind == "missing_identity":
        d.pop("anonymousId", None)
        d.pop("userId", None)
    elif kind == "property_type":
        props["cart_id"] = rng.randrange(10**5, 10**6)
    elif kind == "property_missing":
        del props[REQUIRED[d["event"]]]
    elif kind == "property_enum":
        props["currency"] = "JPY"
    elif kind == "property_too_long":
        props["query"] = (props["query"] + " ") * 40
    elif kind == "property_type_and_enum":
        props["cart_id"] = rng.randrange(10**5, 10**6)
        props["currency"] = "JPY"
    elif kind == "unknown_event":
        d["type"], d["event"] = "track", "Wishlist Viewed"
        d.setdefault("properties", {})
    return orjson.dumps(d)
