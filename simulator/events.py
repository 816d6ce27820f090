"""The in-memory event record and its serialization to one Segment-spec JSON line.

A line is `body + times`: the body (every key but the four timestamps, serialized once
when the event is made) is reused for retries and late copies, and only the timestamps,
which are the last keys of the object, are formatted per written line.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

DAY_MS = 86_400_000


class _Minutes(dict):
    """minute since the epoch -> b'YYYY-MM-DDTHH:MM:', formatted on first use."""

    def __missing__(self, minute: int) -> bytes:
        v = self[minute] = (
            datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:").encode()
        )
        return v


# ISO-8601 UTC with milliseconds is `_MIN[ms // 60_000] + _SEC[ms % 60_000]`: two lookups,
# as it runs ~20M times in bench.
_MIN = _Minutes()
_SEC = [f"{i // 1000:02d}.{i % 1000:03d}Z".encode() for i in range(60_000)]


def iso_b(ms: int) -> bytes:
    return _MIN[ms // 60_000] + _SEC[ms % 60_000]


def iso(ms: int) -> str:
    return iso_b(ms).decode()


class Ev:
    """One clean message. `t` is the contract's corrected event time (ms): the client
    stamps originalTimestamp = t + skew and sentAt = t + d0 + skew, the collector
    receivedAt = t + d0, so receivedAt - (sentAt - originalTimestamp) == t exactly.

    `body` is the serialized line without its timestamps and closing brace; `key` is the
    event name for tracks and the type otherwise (what faults pick their bases by)."""

    __slots__ = (
        "anon",
        "body",
        "bot",
        "client",
        "ctx",
        "d0",
        "event",
        "key",
        "mid",
        "name",
        "person",
        "prev",
        "props",
        "skew",
        "src",
        "t",
        "traits",
        "type",
        "user",
    )

    def __init__(
        self,
        t,
        d0,
        skew,
        src,
        type_,
        mid,
        anon,
        user,
        ctx,
        person,
        bot,
        event=None,
        name=None,
        props=None,
        traits=None,
        prev=None,
        client=True,
    ):
        self.t = t
        self.d0 = d0
        self.skew = skew
        self.src = src
        self.type = type_
        self.mid = mid
        self.anon = anon
        self.user = user
        self.ctx = ctx
        self.person = person
        self.bot = bot
        self.event = event
        self.name = name
        self.props = props
        self.traits = traits
        self.prev = prev
        self.client = client  # False: server library, no originalTimestamp
        self.key = event if type_ == "track" else type_
        # Keys in a fixed order (alphabetical, timestamps last) so bytes are reproducible.
        d: dict = {}
        if anon is not None:
            d["anonymousId"] = anon
        d["context"] = ctx  # an orjson.Fragment: the context serialized once per page
        if event is not None:
            d["event"] = event
        d["messageId"] = mid
        if name is not None:
            d["name"] = name
        if prev is not None:
            d["previousId"] = prev
        if props is not None:
            d["properties"] = props
        if traits is not None:
            d["traits"] = traits
        d["type"] = type_
        if user is not None:
            d["userId"] = user
        self.body = orjson.dumps(d)[:-1]

    @property
    def rcv(self) -> int:
        return self.t + self.d0


def line(ev: Ev, rcv: int, sent_shift: int = 0) -> bytes:
    """The JSON line of `ev` as received at `rcv` (a late file shifts sentAt too)."""
    M, S = _MIN, _SEC  # iso_b inlined: this is the hottest function of a bench run
    t = ev.t
    sent = t + ev.d0 + ev.skew + sent_shift
    times = (
        b'","receivedAt":"',
        M[rcv // 60_000],
        S[rcv % 60_000],
        b'","sentAt":"',
        M[sent // 60_000],
        S[sent % 60_000],
        b'","timestamp":"',
        M[t // 60_000],
        S[t % 60_000],
        b'"}',
    )
    if ev.client:
        orig = t + ev.skew
        return b"".join(
            (ev.body, b',"originalTimestamp":"', M[orig // 60_000], S[orig % 60_000], *times)
        )
    return b"".join((ev.body, b',"receivedAt":"', *times[1:]))  # server: no originalTimestamp
