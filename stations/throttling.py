"""Failed activation attempts, counted in Django's shared cache (the database cache table by default).

Fixed windows: every key names its window (seconds since the epoch // window length), so a new window
starts from zero without anyone resetting anything. Every write passes its own timeout reaching the end of
its window: the cache's default timeout (300 s) never applies, so a count lives for the whole window.
(``cache.incr`` is not used: the database cache's incr is a read followed by a ``set`` with the default
timeout, which both cut the window short and lost counts when two failures raced.)

A failure is counted by claiming one of ``max_failed_attempts()`` numbered slots with ``cache.add``, which
is atomic (the database cache inserts the key, its primary key, so of two parallel claims of one slot only
one succeeds and the other takes the next slot). The count is the number of slots taken, so no failure
is lost. What remains is the gap between checking and counting: N requests arriving together while a
counter stands at limit - 1 are all checked before any is counted, so up to N - 1 attempts more than the
limit can be tried at once (for a known station the service's row lock closes that gap for the Station ID
counter; the address counter keeps it). Nothing is kept in process memory, so every app server sharing
the database shares the counts.
"""

import hashlib
import math
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "activation-failures"
# Requests without a usable address (should not happen under a WSGI server) share one counter.
UNKNOWN_ADDRESS = "unknown"


def window_seconds() -> int:
    return settings.ACTIVATION_ATTEMPT_WINDOW_SECONDS


def window_minutes() -> int:
    """The window in whole minutes, rounded up: how long a refused client waits at most."""
    return math.ceil(window_seconds() / 60)


def max_failed_attempts() -> int:
    return settings.ACTIVATION_MAX_FAILED_ATTEMPTS


def _window(now: datetime) -> int:
    return int(now.timestamp()) // window_seconds()


def seconds_left_in_window(now: datetime) -> int:
    """From ``now`` to the end of its window (at least 1): the timeout of every entry written now."""
    return max(1, math.ceil((_window(now) + 1) * window_seconds() - now.timestamp()))


def counter_keys(station_id: str, client_address: str | None, *, now: datetime) -> tuple[str, str]:
    """The counters for this Station ID (any case) and this client address in the window of ``now``."""
    window = _window(now)

    def key(kind: str, value: str) -> str:
        # Hashed: Station IDs may hold characters some cache backends refuse in keys, and length varies.
        digest = hashlib.sha256(value.encode()).hexdigest()
        return f"{KEY_PREFIX}:{kind}:{digest}:{window}"

    return key("station", station_id.lower()), key("address", client_address or UNKNOWN_ADDRESS)


def _slots(counter: str) -> list[str]:
    return [f"{counter}:{slot}" for slot in range(1, max_failed_attempts() + 1)]


def failure_counts(station_id: str, client_address: str | None, *, now: datetime) -> tuple[int, int]:
    """How many failures this Station ID and this address have in the window of ``now``."""
    counters = counter_keys(station_id, client_address, now=now)
    taken = cache.get_many([slot for counter in counters for slot in _slots(counter)])
    return tuple(sum(slot in taken for slot in _slots(counter)) for counter in counters)


def attempts_exhausted(station_id: str, client_address: str | None, *, now: datetime) -> bool:
    """Whether this Station ID or this address has used up its failed attempts in the current window."""
    return max(failure_counts(station_id, client_address, now=now)) >= max_failed_attempts()


def failure_record(station_id: str, client_address: str | None, *, now: datetime) -> None:
    """Count one failed attempt against this Station ID and this address, in the window of ``now``."""
    timeout = seconds_left_in_window(now)
    for counter in counter_keys(station_id, client_address, now=now):
        slots = _slots(counter)
        taken = cache.get_many(slots)
        for slot in slots:
            # add() is atomic: if a parallel failure claimed this slot first, try the next one.
            if slot not in taken and cache.add(slot, now.isoformat(), timeout=timeout):
                break
        # All slots taken: the counter is at the limit already, there is nothing more to count.
