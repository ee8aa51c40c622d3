"""Failed activation attempts, counted in Django's shared cache (the database cache table by default).

Fixed windows: a counter's key names its window (seconds since the epoch // window length), so a new
window starts from zero without anyone resetting anything, and the entry expires on its own. Nothing is
kept in process memory, so every app server sharing the database shares the counts.
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


def failure_keys(station_id: str, client_address: str | None, *, now: datetime) -> tuple[str, str]:
    """The cache keys counting failures for this Station ID (any case) and this client address now."""
    window = int(now.timestamp()) // window_seconds()

    def key(kind: str, value: str) -> str:
        # Hashed: Station IDs may hold characters some cache backends refuse in keys, and length varies.
        digest = hashlib.sha256(value.encode()).hexdigest()
        return f"{KEY_PREFIX}:{kind}:{digest}:{window}"

    return key("station", station_id.lower()), key("address", client_address or UNKNOWN_ADDRESS)


def attempts_exhausted(station_id: str, client_address: str | None, *, now: datetime) -> bool:
    """Whether this Station ID or this address has used up its failed attempts in the current window."""
    counts = cache.get_many(failure_keys(station_id, client_address, now=now))
    return any(count >= max_failed_attempts() for count in counts.values())


def failure_record(station_id: str, client_address: str | None, *, now: datetime) -> None:
    """Count one failed attempt against this Station ID and this address, in the current window."""
    for key in failure_keys(station_id, client_address, now=now):
        # The key lives at least to the end of its window, which began at most one window ago.
        cache.add(key, 0, timeout=window_seconds())
        try:
            cache.incr(key)
        except ValueError:
            # Expired between add() and incr(): the window just ended; count this one in a fresh entry.
            cache.add(key, 1, timeout=window_seconds())
