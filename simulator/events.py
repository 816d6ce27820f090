"""The in-memory event record and its serialization to one Segment-spec JSON line.

An event is a plain tuple (see `T`..`DEV`): ~5M of them are made per bench run, and a
tuple costs a fraction of a class instance. Its `BODY` is the JSON line without the four
timestamps (the last keys) and the closing brace, kept as a tuple of byte parts (the large
context is shared by all events of a page): the writer joins a whole file's parts once, so
no ~800-byte line object is ever made on the hot path. Retries and late copies reuse the
body; only the timestamps (`tail`) are formatted per written line. Full truth re-reads the
other fields from the written line.
"""

from __future__ import annotations

from datetime import UTC, datetime

DAY_MS = 86_400_000

# Event tuple fields. `t` is the contract's corrected event time (ms): the client stamps
# originalTimestamp = t + skew and sentAt = t + d0 + skew, the collector receivedAt =
# t + d0, so receivedAt - (sentAt - originalTimestamp) == t exactly. `KEY` is the event
# name for tracks and the type otherwise (what faults pick their bases by); `CLIENT` is
# False for the server library (no originalTimestamp); `DEV` is the anonymousId, or the
# userId for server events.
T, D0, SKEW, SRC, KEY, BODY, CLIENT, PERSON, BOT, DEV = range(10)


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


_CLIENT_TAIL = b',"originalTimestamp":"%s","receivedAt":"%s","sentAt":"%s","timestamp":"%s"}\n'
_SERVER_TAIL = b',"receivedAt":"%s","sentAt":"%s","timestamp":"%s"}\n'


def line(ev: tuple, rcv: int, sent_shift: int = 0) -> bytes:
    """The JSON line of `ev` as received at `rcv` (a late file shifts sentAt too)."""
    return b"".join(ev[BODY]) + tail(ev, rcv, sent_shift)[:-1]


def tail(ev: tuple, rcv: int, sent_shift: int = 0) -> bytes:
    """The end of `line(ev, rcv, sent_shift)`: timestamps, closing brace and newline."""
    M, S = _MIN, _SEC  # iso_b inlined: this is the hottest function of a bench run
    t, skew = ev[T], ev[SKEW]
    ts = M[t // 60_000] + S[t % 60_000]
    r = M[rcv // 60_000] + S[rcv % 60_000]
    sent = t + ev[D0] + skew + sent_shift
    # Most clients have no skew, so sentAt usually equals receivedAt (retries aside).
    s = r if sent == rcv else M[sent // 60_000] + S[sent % 60_000]
    if not ev[CLIENT]:
        return _SERVER_TAIL % (r, s, ts)
    o = ts if not skew else M[(t + skew) // 60_000] + S[(t + skew) % 60_000]
    return _CLIENT_TAIL % (o, r, s, ts)
