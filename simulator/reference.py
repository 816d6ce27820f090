"""Reference implementation of identity, sessions, funnels and retention, in plain Python.

It follows docs/design.md ("Identity rules", "Sessions", "Funnels, precisely",
"Retention, precisely") literally and favours clarity over speed: it is what the SQL
marts are compared with. Input: the valid lines (duplicates included), as `Event`s.
"""

from __future__ import annotations

import hashlib
import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import orjson
import yaml

UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
WEEKDAYS = {"monday": 0, "sunday": 6}


@dataclass
class Event:
    """One valid line. Times are unix milliseconds; `None` when the field is absent."""

    message_id: str
    type: str
    received_at: int
    event: str | None = None
    name: str | None = None
    anonymous_id: str | None = None
    user_id: str | None = None
    previous_id: str | None = None
    timestamp: int | None = None
    original_timestamp: int | None = None
    sent_at: int | None = None
    source_id: str = ""
    is_bot: bool = False
    properties: dict | None = None
    context: dict | None = None
    person_id: str = ""  # filled by `prepare`

    @property
    def occurred_at(self) -> int:
        """The contract's corrected event time (clock skew removed, as Segment does)."""
        if self.sent_at is not None and self.original_timestamp is not None:
            return self.received_at - (self.sent_at - self.original_timestamp)
        if self.timestamp is not None:
            return self.timestamp
        return self.received_at

    @property
    def device_key(self) -> str:
        return self.anonymous_id or self.user_id or ""


# ---- dedup and identity ------------------------------------------------------------------
def dedup(events: list[Event]) -> list[Event]:
    """One event per messageId: the copy received first (ties: first in input order)."""
    best: dict[str, Event] = {}
    for e in events:
        cur = best.get(e.message_id)
        if cur is None or e.received_at < cur.received_at:
            best[e.message_id] = e
    return list(best.values())


def resolve_identities(events: list[Event]) -> dict[tuple[str, str], str]:
    """(identifier_type, identifier) -> person key ('user:<min userId>' or 'anon:<min anon>').

    Edges: identify/any message with both ids (anonymousId-userId), alias
    (previousId-userId). Assumes at most one userId per component (the simulator never
    generates conflicts); it raises otherwise rather than guess the guard's outcome.
    """
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for e in events:
        anon = ("anonymous_id", e.anonymous_id) if e.anonymous_id else None
        user = ("user_id", e.user_id) if e.user_id else None
        for node in (anon, user):
            if node:
                find(node)
        if anon and user:
            union(anon, user)
        if e.type == "alias" and e.previous_id and user:
            union(("anonymous_id", e.previous_id), user)
    members: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    for node in parent:
        members[find(node)].append(node)
    out = {}
    for nodes in members.values():
        users = sorted(i for t, i in nodes if t == "user_id")
        if len(users) > 1:
            raise ValueError(f"component with several userIds: {users}")
        key = f"user:{users[0]}" if users else "anon:" + min(i for _, i in nodes)
        for node in nodes:
            out[node] = key
    return out


def person_id(person_key: str) -> str:
    return hashlib.md5(person_key.encode()).hexdigest()


def prepare(lines: list[Event]) -> tuple[list[Event], dict[tuple[str, str], str]]:
    """Dedup, resolve persons, drop bots; events come back sorted by (occurred_at, id)."""
    ids = resolve_identities(lines)
    events = []
    for e in dedup(lines):
        node = ("user_id", e.user_id) if e.user_id else ("anonymous_id", e.anonymous_id)
        e.person_id = person_id(ids[node])
        if not e.is_bot:
            events.append(e)
    events.sort(key=lambda e: (e.occurred_at, e.message_id))
    return events, ids


def by_person(events: list[Event]) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = defaultdict(list)
    for e in events:  # already in (occurred_at, message_id) order
        out[e.person_id].append(e)
    return out


# ---- sessions ----------------------------------------------------------------------------
@dataclass
class Session:
    person_id: str
    device_key: str
    started_at: int
    ended_at: int
    event_count: int
    first_message_id: str


def sessions(events: list[Event], timeout_min: int = 30, max_hours: int = 24) -> list[Session]:
    """Per person and device: a gap > timeout starts a session (exactly 30 min does not);
    so does an event more than `max_hours` after the session's first event."""
    groups: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in events:
        groups[(e.person_id, e.device_key)].append(e)
    out = []
    for (pid, dev), evs in sorted(groups.items()):
        cur = None
        prev_t = None
        for e in evs:
            t = e.occurred_at
            if (
                cur is None
                or t - prev_t > timeout_min * 60_000
                or (t - cur.started_at > max_hours * 3600_000)
            ):
                cur = Session(pid, dev, t, t, 0, e.message_id)
                out.append(cur)
            cur.ended_at, cur.event_count, prev_t = t, cur.event_count + 1, t
    return out


# ---- analytics file ----------------------------------------------------------------------
@dataclass
class Step:
    event: str
    where: dict[str, str] = field(default_factory=dict)

    def matches(self, e: Event) -> bool:
        if self.event in ("page", "screen"):
            if e.type != self.event:
                return False
        elif e.type != "track" or e.event != self.event:
            return False
        props = e.properties or {}
        return all(as_text(props.get(k)) == v for k, v in self.where.items())


@dataclass
class Funnel:
    name: str
    steps: list[Step]
    order: str
    window_s: int
    breakdown: str | None
    exclusions: list[tuple[Step, int, int]]


@dataclass
class Retention:
    name: str
    start: Step
    ret: Step
    period: str
    type: str
    intervals: int


@dataclass
class Analytics:
    timezone: str
    week_start: str
    funnels: list[Funnel]
    retention: list[Retention]


def as_text(v) -> str | None:
    """A JSON value as `->>` renders it: strings raw, everything else as JSON text."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return orjson.dumps(v).decode()


def _step(spec: dict) -> Step:
    where = {k: as_text(v) for k, v in (spec.get("where") or {}).items()}
    return Step(spec["event"], where)


def load_analytics(path: str | Path) -> Analytics:
    doc = yaml.safe_load(Path(path).read_text())
    funnels = [
        Funnel(
            f["name"],
            [_step(s) for s in f["steps"]],
            f.get("order", "ordered"),
            f["window"]["value"] * UNIT_SECONDS[f["window"]["unit"]],
            f.get("breakdown"),
            [(_step(x), x["from_step"], x["to_step"]) for x in f.get("exclusions") or []],
        )
        for f in doc.get("funnels") or []
    ]
    rets = [
        Retention(
            r["name"],
            _step({"event": r["start_event"]}),
            _step({"event": r["return_event"]}),
            r["period"],
            r["type"],
            r["intervals"],
        )
        for r in doc.get("retention") or []
    ]
    return Analytics(doc.get("timezone", "UTC"), doc.get("week_start", "monday"), funnels, rets)


# ---- funnels -----------------------------------------------------------------------------
@dataclass
class Attempt:
    reached: int
    times: list[int]  # occurred_at of each filled step (unordered: sorted first times)
    t_start: int
    window_end: int


def _ordered_attempts(f: Funnel, evs: list[Event]) -> list[Attempt]:
    ts = [e.occurred_at for e in evs]
    w = f.window_s * 1000
    out = []
    for i, e in enumerate(evs):
        if not f.steps[0].matches(e):
            continue
        t1, end = ts[i], ts[i] + w
        used, times, pos = {i}, [t1], i
        for step in f.steps[1:]:
            found = None
            if f.order == "strict":
                j = pos + 1
                if j < len(evs) and ts[j] <= end and step.matches(evs[j]):
                    found = j
            else:
                lo, hi = bisect_left(ts, times[-1]), bisect_right(ts, end)
                found = next(
                    (j for j in range(lo, hi) if j not in used and step.matches(evs[j])), None
                )
            if found is None:
                break
            used.add(found)
            times.append(ts[found])
            pos = found
        out.append(Attempt(len(times), times, t1, end))
    return out


def _excluded(f: Funnel, evs: list[Event], attempts: list[Attempt]) -> bool:
    for step, frm, to in f.exclusions:
        xs = [e.occurred_at for e in evs if step.matches(e)]
        for a in attempts:
            if a.reached < frm or not xs:
                continue
            lo = a.times[frm - 1]
            hi_ok = (
                (lambda t, a=a, to=to: t < a.times[to - 1])
                if a.reached >= to
                else (lambda t, a=a: t <= a.window_end)
            )
            if any(lo < t and hi_ok(t) for t in xs):
                return True
    return False


def _fills_distinct_steps(masks: list[frozenset[int]]) -> bool:
    """Whether each event (given by the steps it matches) can fill its own step: a
    matching that covers every event (Kuhn's augmenting paths)."""
    owner: dict[int, int] = {}

    def assign(i: int, seen: set[int]) -> bool:
        for step in masks[i]:
            if step in seen:
                continue
            seen.add(step)
            if step not in owner or assign(owner[step], seen):
                owner[step] = i
                return True
        return False

    return all(assign(i, set()) for i in range(len(masks)))


def _unordered_attempts(f: Funnel, evs: list[Event]) -> list[Attempt]:
    """Each attempt takes, in time order, every event that can fill a step no earlier
    event of the attempt needs (one event fills at most one step). Taken greedily, these
    are the earliest events of a largest set filling distinct steps, so `reached` is the
    most steps any events of the window fill together and `times` are when they did."""
    ts = [e.occurred_at for e in evs]
    w = f.window_s * 1000
    masks = [frozenset(k for k, s in enumerate(f.steps) if s.matches(e)) for e in evs]
    excl = [i for i, e in enumerate(evs) if any(x.matches(e) for x, _, _ in f.exclusions)]
    out = []
    for i in range(len(evs)):
        if not masks[i]:
            continue
        t0, end = ts[i], ts[i] + w
        lo, hi = bisect_left(ts, t0), bisect_right(ts, end)
        # the first exclusion after t0 wipes everything from its instant on
        first_x = next((j for j in excl if ts[j] > t0), None)
        if first_x is not None:
            hi = min(hi, bisect_left(ts, ts[first_x]))
        taken: list[int] = []
        for j in range(lo, hi):
            if len(taken) == len(f.steps):
                break
            if masks[j] and _fills_distinct_steps([masks[k] for k in taken] + [masks[j]]):
                taken.append(j)
        out.append(Attempt(len(taken), [ts[j] for j in taken], t0, end))
    return out


def _breakdown_value(f: Funnel, evs: list[Event]) -> str:
    if not f.breakdown:
        return "(all)"
    root, *path = f.breakdown.split(".")
    for e in evs:
        if not any(s.matches(e) for s in f.steps):
            continue
        v = e.properties if root == "properties" else e.context if root == "context" else None
        for key in path:
            v = v.get(key) if isinstance(v, dict) else None
        text = as_text(v)
        if text not in (None, ""):
            return text
    return ""


def funnel(f: Funnel, persons: dict[str, list[Event]]) -> list[dict]:
    """Rows of fct_funnel_steps for one funnel: '(all)' plus one per breakdown value that
    has at least one person at step 1."""
    n = len(f.steps)
    reached: dict[str, tuple[int, list[int], str]] = {}
    for pid, evs in persons.items():
        if f.order == "unordered":
            attempts = _unordered_attempts(f, evs)
        else:
            attempts = _ordered_attempts(f, evs)
            if f.exclusions and _excluded(f, evs, attempts):
                continue
        if not attempts:
            continue
        best = max(attempts, key=lambda a: (a.reached, -a.t_start))
        if best.reached:
            reached[pid] = (best.reached, best.times, _breakdown_value(f, evs))
    groups: dict[str, list[tuple[int, list[int]]]] = defaultdict(list)
    for r, times, value in reached.values():
        groups["(all)"].append((r, times))
        if f.breakdown:
            groups[value].append((r, times))
    if "(all)" not in groups:
        groups["(all)"] = []
    rows = []
    for value in sorted(groups):
        members = groups[value]
        counts = [sum(1 for r, _ in members if r >= k) for k in range(1, n + 1)]
        for k in range(1, n + 1):
            deltas = [
                (times[k - 1] - times[k - 2]) / 1000
                for r, times in members
                if r >= k and k >= 2 and times[k - 1] != times[k - 2]
            ]
            first, prev = counts[0], counts[k - 2] if k >= 2 else counts[0]
            rows.append(
                {
                    "funnel_name": f.name,
                    "breakdown_value": value,
                    "step_index": k,
                    "step_name": f.steps[k - 1].event,
                    "persons": counts[k - 1],
                    "conversion_from_start": counts[k - 1] / first if first else None,
                    "conversion_from_previous": counts[k - 1] / prev if prev else None,
                    "avg_seconds_from_previous": statistics.fmean(deltas) if deltas else None,
                    "median_seconds_from_previous": statistics.median(deltas) if deltas else None,
                }
            )
    return rows


# ---- retention ---------------------------------------------------------------------------
def period_start(d: date, period: str, week_start: str = "monday") -> date:
    if period == "day":
        return d
    if period == "week":
        return d - timedelta(days=(d.weekday() - WEEKDAYS[week_start]) % 7)
    return d.replace(day=1)


def period_add(p: date, period: str, k: int) -> date:
    if period == "day":
        return p + timedelta(days=k)
    if period == "week":
        return p + timedelta(weeks=k)
    m = p.month - 1 + k
    return date(p.year + m // 12, m % 12 + 1, 1)


def local_date(ms: int, tz: str) -> date:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).date()


def retention(
    r: Retention, events: list[Event], tz: str = "UTC", week_start: str = "monday"
) -> list[dict]:
    """Rows of fct_retention for one definition. `events`: prepared (deduped, no bots)."""
    if not events:
        return []

    cache: dict[int, date] = {}

    def per(e):
        # every UTC offset is a multiple of 15 minutes, so the period is constant per quarter
        q = e.occurred_at // 900_000
        p = cache.get(q)
        if p is None:
            p = cache[q] = period_start(local_date(q * 900_000, tz), r.period, week_start)
        return p

    newest = max(per(e) for e in events)
    starts: dict[str, set[date]] = defaultdict(set)
    returns: dict[str, set[date]] = defaultdict(set)
    for e in events:
        if r.start.matches(e):
            starts[e.person_id].add(per(e))
        if r.ret.matches(e):
            returns[e.person_id].add(per(e))
    cohorts: dict[date, set[str]] = defaultdict(set)
    for pid, periods in starts.items():
        for p in periods if r.type == "recurring" else [min(periods)]:
            cohorts[p].add(pid)
    rows = []
    for c in sorted(cohorts):
        members = cohorts[c]
        for k in range(r.intervals + 1):
            target = period_add(c, r.period, k)
            if target > newest:
                break
            kept = len(members) if k == 0 else sum(1 for p in members if target in returns[p])
            rows.append(
                {
                    "retention_name": r.name,
                    "period": r.period,
                    "cohort_start": c.isoformat(),
                    "period_offset": k,
                    "cohort_size": len(members),
                    "retained_persons": kept,
                    "retention_rate": kept / len(members),
                }
            )
    return rows
