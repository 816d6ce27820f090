"""How simulated persons behave: devices, sessions, identification, the shopping funnel.

Each person draws from their own `random.Random`, seeded from (seed, person index, try),
so persons are independent of each other, of sharding and of the fault settings.
"""

from __future__ import annotations

import itertools
import random

import orjson

from simulator import catalog as C
from simulator.draw import Weighted, below, between, pick
from simulator.events import DAY_MS, DEV, T, iso

MIN = 60_000
SESSION_GAP_MIN = 40 * MIN  # inter-session gaps stay well clear of the 30 min rule
INNER_GAP_MAX = 20 * MIN  # gaps inside a session stay well below it
BORDER = (30 * MIN - 2000, 30 * MIN + 2000)
TZ_OFFSET = {
    "America/Chicago": -6,
    "America/Los_Angeles": -8,
    "Europe/London": 0,
    "Europe/Berlin": 1,
    "Europe/Paris": 1,
    "America/Sao_Paulo": -3,
    "Asia/Tokyo": 9,
    "Asia/Kolkata": 5,
    "Australia/Sydney": 11,
    "Africa/Johannesburg": 2,
}
LOCAL_HOUR_W = [1, 1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 7, 6, 6, 6, 7, 8, 9, 9, 8, 5, 3]
SPECIAL = {7: "kiosk", 11: "edge", 13: "edge_same_instant"}
LOCAL_HOUR = Weighted(range(24), LOCAL_HOUR_W)
IP_BLOCK = Weighted(C.IP_BLOCKS, C.IP_WEIGHTS)
DEVICE_COUNT = Weighted([1, 2, 3], [60, 30, 10])
DEVICE_KIND = Weighted(["desktop", "mobile_web", "app"], [50, 25, 25])
ACQUISITION = Weighted(C.ACQUISITION, [a[0] for a in C.ACQUISITION])
BROWSES = Weighted([0, 1, 2, 3], [25, 40, 25, 10])
PRODUCTS_PER_BROWSE = Weighted([1, 2, 3, 4], [40, 30, 20, 10])
QUANTITY = Weighted([1, 2, 3], [80, 15, 5])


def uid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Device:
    def __init__(self, rng: random.Random, kind: str, block, person: str):
        self.kind = kind  # desktop | mobile_web | app | bot
        self.anon = uid(rng)
        self.app, self.bot = kind == "app", kind == "bot"
        self.head = b'{"anonymousId":"' + self.anon.encode() + b'","context":'
        (a, b), self.country, self.locale, self.tz = block
        self.ip = f"{a}.{b}.{between(rng, 1, 255)}.{between(rng, 1, 255)}"
        self.skew = (
            0 if rng.random() < 0.85 else pick(rng, (-1, 1)) * between(rng, 1000, 2 * 3600_000)
        )
        self.logged_in = False
        self.used = False
        self.src = C.SOURCES["mobile" if kind == "app" else "web"]
        if kind == "app":
            os_, osv, manu, model, ua = pick(rng, C.APP_DEVICES)
            self.app_ctx = {
                "app": {
                    "build": "4120",
                    "name": "Shop",
                    "namespace": "com.example.shop",
                    "version": "4.12.0",
                },
                "device": {
                    "id": uid(rng),
                    "manufacturer": manu,
                    "model": model,
                    "type": os_.lower(),
                },
                "ip": self.ip,
                "library": C.IOS_LIBRARY if os_ == "iOS" else C.ANDROID_LIBRARY,
                "locale": self.locale,
                "network": {"wifi": rng.random() < 0.6},
                "os": {"name": os_, "version": osv},
                "screen": {"height": 2556, "width": 1179},
                "timezone": self.tz,
                "userAgent": ua,
            }
            self.ctx = (self.head, dumps(self.app_ctx))
            return
        if kind == "bot":
            self.ua, (a, b) = pick(rng, C.BOT_UAS)
            self.ip = f"{a}.{b}.{between(rng, 1, 255)}.{between(rng, 1, 255)}"
            self.locale, self.tz = "en-US", "UTC"
        else:
            pool = C.DESKTOP_UAS if kind == "desktop" else C.MOBILE_WEB_UAS
            self.ua = pick(rng, pool)
        # A browser context is these two constant parts around the page (see _page).
        mid = {"ip": self.ip, "library": C.WEB_LIBRARY, "locale": self.locale}
        self.ctx_mid = orjson.dumps(mid)[1:-1] + b',"page":'
        self.ctx_tail = b"," + orjson.dumps({"timezone": self.tz, "userAgent": self.ua})[1:]


class Person:
    """Generates one person's clean events, in time order per device."""

    def __init__(self, idx: int, seed: int, start_ms: int, days: int, attempt: int = 0):
        self.rng = rng = random.Random(f"{seed}:person:{idx}:{attempt}")
        self.idx = idx
        self.pid = f"p{idx:07d}"
        self.start_ms, self.end_ms = start_ms, start_ms + days * DAY_MS
        self.days = days
        kind = "bot" if rng.random() < 0.02 else "normal"
        self.kind = SPECIAL.get(idx, kind) if days >= 4 else kind
        block = IP_BLOCK.draw(rng)
        self.block = block
        self.events: list[tuple] = []
        self.user = f"usr_{rng.getrandbits(48):012x}"
        self.user_tail = b',"userId":"' + self.user.encode() + b'"'
        self.registered = False
        self.plan = pick(rng, C.PLANS)
        self.currency = pick(rng, C.CURRENCIES)
        first, last = pick(rng, C.FIRST_NAMES), pick(rng, C.LAST_NAMES)
        self.traits = {
            "email": f"{first.lower()}.{last.lower()}{idx}@example.net",
            "firstName": first,
            "lastName": last,
            "phone": f"+1-555-{between(rng, 100, 999)}-{between(rng, 1000, 9999)}",
            "plan": self.plan,
        }
        self.last_t = 0
        self.pending_cart = None
        self._mid_prefix = uid(rng)[:-5].encode()
        self._mid_n = 0
        if self.kind == "bot":
            self.devices = []
        else:
            n = DEVICE_COUNT.draw(rng)
            self.devices = [Device(rng, DEVICE_KIND.draw(rng), block, self.pid) for _ in range(n)]
        self.will_register = rng.random() < 0.6
        self.existing_user = self.will_register and rng.random() < 0.3

    # ---- emission helpers -------------------------------------------------------------
    # A body is a flat tuple of shared byte parts in the keys' alphabetical order: `ctx`
    # (up to the context's end), `pre` (event), the new messageId, `post` (the keys after
    # it up to type), the userId; see events.py.
    def _emit(self, dev: Device, t: int, key: str, ctx: tuple, pre: bytes, post: tuple) -> None:
        r = self.rng.random()
        # the app SDK flushes in batches; browsers send at once
        d0 = 200 + int(r * 29_800) if dev.app else 40 + int(r * 1460)
        self._mid_n += 1
        mid = _MID % (self._mid_prefix, self._mid_n)
        body = (*ctx, pre, mid, *post, self.user_tail if dev.logged_in else b"")
        self.events.append((t, d0, dev.skew, dev.src, key, body, True, self.pid, dev.bot, dev.anon))
        self.last_t = t

    def _server(self, t: int, key: str, pre: bytes, post: tuple) -> None:
        d0 = between(self.rng, 10, 300)
        self._mid_n += 1
        mid = _MID % (self._mid_prefix, self._mid_n)
        body = (*_SERVER_CTX, pre, mid, *post, self.user_tail)
        self.events.append((t, d0, 0, _SERVER_SRC, key, body, False, self.pid, False, self.user))

    def _page(self, dev: Device, t: int, page: str, product, campaign, referrer: str, search=""):
        """Emit a page view; returns its context and url (tracks on the page share them)."""
        path, title, url = _page_location(page, product)
        url += search
        loc = {"path": path, "referrer": referrer, "search": search, "title": title, "url": url}
        page_json = dumps(loc)  # both context.page and the properties
        ctx = (dev.head, _CAMPAIGN[campaign], dev.ctx_mid, page_json, dev.ctx_tail)
        self._emit(dev, t, "page", ctx, b"", (_NAME[page], page_json, _PAGE_TYPE))
        return ctx, url

    def _step(self, t: int, lo: int = 4000, hi: int = 240_000) -> int:
        # log-uniform think time, capped well below the session timeout
        g = int(lo * (hi / lo) ** self.rng.random())
        if self.rng.random() < 0.03:
            g = between(self.rng, 8 * MIN, 18 * MIN)  # a long read
        return t + min(g, INNER_GAP_MAX)

    # ---- a session ----------------------------------------------------------------------
    def session(self, dev: Device, t: int) -> None:
        rng = self.rng
        s = _SessionState(self, dev, t)
        dev.used = True
        if dev.kind != "app":
            _, s.referrer, s.campaign = ACQUISITION.draw(rng)
        land = "Home" if s.campaign is None or rng.random() < 0.5 else "Product"
        s.view(land, product=pick(rng, C.PRODUCTS) if land == "Product" else None)
        if self.will_register and not dev.logged_in:
            if self.existing_user or self.registered:
                if rng.random() < 0.7:
                    s.login()
            elif rng.random() < 0.35:
                s.signup()
        if self.pending_cart and rng.random() < 0.6:
            s.checkout(self.pending_cart, via_cart=True)
        for _ in range(BROWSES.draw(rng)):
            s.browse()
        if rng.random() < 0.2:
            s.view(pick(rng, ("Help", "Account", "Home")))

    # ---- a person's life ----------------------------------------------------------------
    def generate(self) -> list[tuple]:
        if self.kind == "kiosk":
            return self._kiosk()
        if self.kind.startswith("edge"):
            return self._edge()
        rng = self.rng
        arrival = below(rng, self.days)
        if self.kind == "bot":
            lam, decay = 0.25, 1.0
        else:
            lam, decay = rng.lognormvariate(-1.6, 0.9), rng.uniform(0.45, 0.85)
        offset = TZ_OFFSET.get(self.block[3], 0)
        for day in range(arrival, self.days):
            p = 1.0 if day == arrival else min(0.9, lam * decay ** ((day - arrival) / 7))
            if rng.random() >= p:
                continue
            for _ in range(1 if rng.random() < 0.85 else 2):
                local_h = LOCAL_HOUR.draw(rng)
                start = (
                    self.start_ms
                    + day * DAY_MS
                    + ((local_h - offset) % 24) * 3600_000
                    + below(rng, 3600_000)
                )
                start = max(start, self.last_t + SESSION_GAP_MIN + below(rng, 30 * MIN))
                if start > self.end_ms - 2 * 3600_000:
                    break
                if self.kind == "bot":
                    self._crawl(start)
                else:
                    self.session(pick(rng, self.devices), start)
        return self.events

    def _crawl(self, t: int) -> None:
        # Crawlers keep no cookies: every crawl is a new anonymousId.
        dev = Device(self.rng, "bot", self.block, self.pid)
        self.devices.append(dev)
        for _ in range(between(self.rng, 3, 25)):
            self._page(dev, t, "Product", pick(self.rng, C.PRODUCTS), None, "")
            t += between(self.rng, 1500, 9000)

    def _kiosk(self) -> list[tuple]:
        """An in-store kiosk browsing for 26 hours at ~20 min intervals: one 24 h split."""
        dev = self.devices[0] = Device(self.rng, "desktop", self.block, self.pid)
        dev.skew = 0
        t = self.start_ms + min(2, self.days - 2) * DAY_MS + 10 * 3600_000 + 1234
        end = t + 26 * 3600_000
        while t < end:
            self._page(dev, t, "Home", None, None, "")
            t += between(self.rng, 19 * MIN, 21 * MIN)
        return self.events

    def _edge(self) -> list[tuple]:
        """Gaps of exactly 30 min (same session) and 30 min + 1 ms (new session); the
        `same_instant` variant also views and adds a product at the same millisecond."""
        dev = self.devices[0] = Device(self.rng, "desktop", self.block, self.pid)
        dev.skew = 0
        t0 = self.start_ms + min(3, self.days - 1) * DAY_MS + 12 * 3600_000
        p = C.PRODUCTS[self.idx]
        s = _SessionState(self, dev, t0)
        for t in (t0, t0 + 30 * MIN, t0 + 60 * MIN + 1, t0 + 65 * MIN):
            s.t, s.first = t, True  # first=True: no random think time before the view
            s.view("Home")
        if self.kind == "edge_same_instant":
            s.t, s.first = t0 + 70 * MIN, True
            s.view("Product", product=p)
            s.track("Product Viewed", _viewed(p, self.currency))
            s.track("Product Added", _added(p, 1, self.currency, "cart_edge"), dt=0)
        return self.events


_MID = b',"messageId":"%s%05x"'


def dumps(obj) -> bytes:
    """`orjson.dumps`, copied: a kept orjson result holds ~4 KB of its buffer (so ~1 GB per
    shard); a copy of the few hundred bytes releases it."""
    return bytes(memoryview(orjson.dumps(obj)))


_SERVER_CTX = (b'{"context":', orjson.dumps({"library": C.SERVER_LIBRARY}))
_SERVER_SRC = C.SOURCES["server"]
_PAGE_TYPE = b',"type":"page"'
_TRACK_TYPE = b',"type":"track"'


class _Json(dict):
    """str -> a serialized JSON key/value part, made once per value (see `_NAME`)."""

    def __init__(self, fmt: str):
        super().__init__()
        self.fmt = fmt

    def __missing__(self, v: str) -> bytes:
        out = self[v] = self.fmt.encode() % orjson.dumps(v)
        return out


_NAME = _Json(',"name":%s,"properties":')  # a page's name; its properties follow
_SCREEN = _Json(',"name":%s,"properties":{},"type":"screen"')
_EVENT = _Json(',"event":%s')
# The opening of a browser context: the campaign, if any, is its first key.
_CAMPAIGN = {
    c: b"{"
    + orjson.dumps({"campaign": {"medium": c[1], "name": c[2], "source": c[0]}})[1:-1]
    + b","
    for _, _, c in C.ACQUISITION
    if c
}
_CAMPAIGN[None] = b"{"


_LOCATIONS: dict[tuple, tuple[str, str, str]] = {}


def _page_location(page: str, product: dict | None) -> tuple[str, str, str]:
    """(path, title, url) of a page, formatted once per page and product."""
    key = (page, product["sku"] if product else None)
    loc = _LOCATIONS.get(key)
    if loc is None:
        path, title = C.PAGES[page]
        fmt = _fmt(product) if product else {}
        path, title = path.format(**fmt), title.format(**fmt)
        loc = _LOCATIONS[key] = (path, title, C.SITE + path)
    return loc


def _fmt(p: dict) -> dict:
    return {
        "sku": p["sku"].lower(),
        "name": p["name"],
        "category": p["category"],
        "Category": p["category"].title(),
    }


def _viewed(p: dict, currency: str) -> dict:
    return {
        "category": p["category"],
        "currency": currency,
        "name": p["name"],
        "price": p["price"],
        "product_id": p["sku"],
    }


def _added(p: dict, qty: int, currency: str, cart: str) -> dict:
    return {
        "cart_id": cart,
        "currency": currency,
        "price": p["price"],
        "product_id": p["sku"],
        "quantity": qty,
    }


class _SessionState:
    """The current page load of one session: events on it share one context object."""

    def __init__(self, person: Person, dev: Device, t: int):
        self.p, self.dev, self.t = person, dev, t
        self.referrer, self.campaign = "", None
        self.ctx = ()  # the current page's serialized context, in parts
        self.url = ""
        self.first = True

    def view(self, page: str, product: dict | None = None, search: str = "") -> None:
        p, dev = self.p, self.dev
        if not self.first:
            self.t = p._step(self.t)
        self.first = False
        if dev.app:
            self.ctx = dev.ctx
            p._emit(dev, self.t, "screen", self.ctx, b"", (_SCREEN[page],))
            return
        if self.campaign and self.url == "":
            c = self.campaign
            search = f"?utm_source={c[0]}&utm_medium={c[1]}&utm_campaign={c[2]}"
        referrer = self.url or self.referrer
        self.ctx, self.url = p._page(dev, self.t, page, product, self.campaign, referrer, search)

    def track(self, event: str, props: dict, dt: int | None = None) -> None:
        p = self.p
        self.t += between(p.rng, 150, 4000) if dt is None else dt
        post = (b',"properties":', dumps(props), _TRACK_TYPE)
        p._emit(self.dev, self.t, event, self.ctx, _EVENT[event], post)

    def identify(self) -> None:
        p, dev = self.p, self.dev
        dev.logged_in = True
        self.t += between(p.rng, 20, 400)
        post = (b',"traits":', dumps(p.traits), b',"type":"identify"')
        p._emit(dev, self.t, "identify", self.ctx, b"", post)

    def signup(self) -> None:
        p = self.p
        self.view("Sign Up")
        method = pick(p.rng, C.SIGNUP_METHODS)
        self.identify()
        props = {"method": method}
        if p.rng.random() < 0.7:
            props["plan"] = p.plan
        self.track("Signed Up", props)
        p.registered = True
        if p.rng.random() < 0.5:  # the backend also identifies the new account
            traits = {"createdAt": iso(self.t), "email": p.traits["email"], "plan": p.plan}
            post = (b',"traits":', dumps(traits), b',"type":"identify"')
            p._server(self.t + between(p.rng, 100, 900), "identify", b"", post)

    def login(self) -> None:
        p, dev = self.p, self.dev
        self.view("Log In")
        self.track("Logged In", {"method": pick(p.rng, C.SIGNUP_METHODS)})
        self.identify()
        others = [d for d in p.devices if d is not dev and d.used and not d.logged_in]
        if others and p.rng.random() < 0.4:
            # merge another of this person's browsers into the account
            self.t += between(p.rng, 50, 500)
            prev = pick(p.rng, others).anon.encode()
            post = (b',"previousId":"', prev, b'","type":"alias"')
            p._emit(dev, self.t, "alias", self.ctx, b"", post)

    def browse(self) -> None:
        p, rng = self.p, self.p.rng
        cur = p.currency
        if rng.random() < 0.35:
            q = pick(rng, C.SEARCH_TERMS)
            self.view("Search", search="?q=" + q.replace(" ", "+"))
            props = {"query": q}
            if rng.random() < 0.8:
                props["results"] = below(rng, 60)
            self.track("Products Searched", props)
        elif rng.random() < 0.4:
            self.view("Category", product=pick(rng, C.PRODUCTS))
        cart = []
        for _ in range(PRODUCTS_PER_BROWSE.draw(rng)):
            prod = pick(rng, C.PRODUCTS)
            self.view("Product", product=prod)
            self.track("Product Viewed", _viewed(prod, cur))
            if rng.random() < 0.14:
                cart_id = (
                    p.pending_cart[0] if p.pending_cart else f"cart_{rng.getrandbits(48):012x}"
                )
                qty = QUANTITY.draw(rng)
                self.track("Product Added", _added(prod, qty, cur, cart_id))
                cart.append((prod, qty))
                if rng.random() < 0.5:
                    break
        if not cart:
            return
        cart_id = p.pending_cart[0] if p.pending_cart else f"cart_{rng.getrandbits(48):012x}"
        if rng.random() < 0.5:
            # half "buy now" (strict funnel holds), half through the cart page (it breaks)
            self.checkout((cart_id, cart), via_cart=rng.random() < 0.5)
        else:
            p.pending_cart = (cart_id, cart)

    def checkout(self, pending, via_cart: bool) -> None:
        p, rng = self.p, self.p.rng
        cart_id, cart = pending
        p.pending_cart = None
        if via_cart:
            self.view("Cart")
            self.view("Checkout")
        value = round(sum(pr["price"] * q for pr, q in cart), 2)
        props = {
            "cart_id": cart_id,
            "currency": p.currency,
            "item_count": sum(q for _, q in cart),
            "value": value,
        }
        if self.dev.logged_in:
            props["plan"] = p.plan
        self.track("Checkout Started", props)
        coupon = None
        if rng.random() < 0.25:
            coupon = pick(rng, C.COUPONS)
            self.track("Coupon Applied", {"cart_id": cart_id, "coupon": coupon})
            if rng.random() < 0.35:
                self.track("Coupon Removed", {"cart_id": cart_id, "coupon": coupon})
                coupon = None
        if rng.random() < 0.4:  # abandoned; sometimes resumed in a later session
            p.pending_cart = pending if rng.random() < 0.4 else None
            return
        order = {
            "currency": p.currency,
            "order_id": f"ORD-{below(rng, 10**8):08d}",
            "products": [
                {"price": pr["price"], "product_id": pr["sku"], "quantity": q} for pr, q in cart
            ],
            "revenue": round(value * (0.9 if coupon else 1.0), 2),
        }
        if coupon:
            order["coupon"] = coupon
        if not self.dev.app:
            self.view("Order Confirmation")
        if self.dev.logged_in and rng.random() < 0.5:
            # the order is confirmed by the backend: userId only, a device of its own
            post = (b',"properties":', dumps(order), _TRACK_TYPE)
            t = self.t + between(rng, 300, 3000)
            p._server(t, "Order Completed", _EVENT["Order Completed"], post)
        else:
            self.track("Order Completed", order)


def person_events(idx: int, seed: int, start_ms: int, days: int) -> list[tuple]:
    """A person's events; re-drawn (deterministically) if two events of one device happen
    to lie within 2 s of the 30-minute session timeout, which truth must not hinge on."""
    for attempt in range(20):
        person = Person(idx, seed, start_ms, days, attempt)
        events = person.generate()
        if person.kind != "normal" or not _borderline(events):
            return events
    return events


def _borderline(events: list[tuple]) -> bool:
    by_dev: dict[str, list[int]] = {}
    for e in events:
        by_dev.setdefault(e[DEV], []).append(e[T])
    for ts in by_dev.values():
        ts.sort()
        for a, b in itertools.pairwise(ts):
            if BORDER[0] <= b - a <= BORDER[1]:
                return True
    return False
