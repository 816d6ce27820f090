"""Retry what is transient: another process holding the DuckDB lock, a flaky object store.

Anything else (bad data, a failed check, a bug) fails at once with its own message: a
retry would only repeat it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

MAX_RETRIES = 3
WAIT_SECONDS = 15

# Class names along an exception's cause chain that mark a transient failure (by name, so
# botocore and aiohttp need not be imported here).
_TRANSIENT_TYPES = {
    "ConnectionError",
    "TimeoutError",
    "EndpointConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ConnectionClosedError",
    "ClientConnectorError",
    "ServerDisconnectedError",
}
_TRANSIENT_MESSAGES = ("Could not set lock on file", "Conflicting lock is held")


def is_transient_message(text: str) -> bool:
    """A failure message (from dbt's run results, say) that names a transient cause."""
    return any(m in text for m in _TRANSIENT_MESSAGES)


def is_transient(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        names = {cls.__name__ for cls in type(seen).__mro__}
        if names & _TRANSIENT_TYPES or any(m in str(seen) for m in _TRANSIENT_MESSAGES):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@contextmanager
def retry_transient(context: dg.OpExecutionContext | dg.AssetExecutionContext) -> Iterator[None]:
    """Turn a transient failure into a Dagster retry of the step (up to MAX_RETRIES)."""
    try:
        yield
    except Exception as exc:
        if not is_transient(exc):
            raise
        context.log.warning(f"transient failure, retrying in {WAIT_SECONDS} s: {exc}")
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=WAIT_SECONDS) from exc
