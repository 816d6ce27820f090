"""Fast draws from a `random.Random`.

`randrange`, `choice` and `choices` cost ~0.5-1.5 µs each in pure Python and the
simulator makes ~10 draws per event; these take one `random()` each and keep the same
distributions (up to float granularity), which is all the simulation needs.
"""

from __future__ import annotations

from bisect import bisect
from itertools import accumulate


def below(rng, n: int) -> int:
    """Like `rng.randrange(n)`."""
    return int(rng.random() * n)


def between(rng, lo: int, hi: int) -> int:
    """Like `rng.randrange(lo, hi)`."""
    return lo + int(rng.random() * (hi - lo))


def pick(rng, seq):
    """Like `rng.choice(seq)`."""
    return seq[int(rng.random() * len(seq))]


class Weighted:
    """Like `rng.choices(items, weights)[0]`, with the cumulative weights built once."""

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def draw(self, rng):
        return self.items[bisect(self.cum, rng.random() * self.total)]
