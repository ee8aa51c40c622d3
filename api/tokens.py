"""Making, hashing and checking personal API tokens, and their writes (create, revoke, last use).

The database holds only an HMAC-SHA256 of each token under a key derived from SECRET_KEY, so a copy of
the database (a backup, a leaked dump) does not hold usable tokens, and a database alone cannot forge
one. Rotating SECRET_KEY keeps tokens working while the old key is listed in SECRET_KEY_FALLBACKS.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import ApiToken

TOKEN_PREFIX = "si_"
# Characters shown in the token list: the marker and a few random ones, far too few to guess the rest.
DISPLAY_LENGTH = len(TOKEN_PREFIX) + 6
# Writing last_used_at on every request would make each API call a write, and parallel calls with one
# token would queue on its row lock; a minute is precise enough to tell whether a token is still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_KEY_SALT = "api.tokens.ApiToken"


def token_digest(token: str, secret: str | None = None) -> str:
    """The keyed hash stored for ``token``: HMAC-SHA256, key derived from SECRET_KEY (or ``secret``)."""
    return salted_hmac(_KEY_SALT, token, secret=secret, algorithm="sha256").hexdigest()


def _digests(token: str) -> list[str]:
    return [token_digest(token, secret) for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]]


def api_token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the stored record, and the token itself (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        record = ApiToken(
            user=user, name=name.strip(), digest=token_digest(token), prefix=token[:DISPLAY_LENGTH]
        )
        record.full_clean()
        record.save()
    return record, token


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke ``token`` from now on; the record stays, so its owner still sees when it was last used."""
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_for(token: str) -> ApiToken | None:
    """The live token record matching ``token``, or None (unknown, revoked, or its user inactive).

    Looked up by its digest: an attacker cannot steer an HMAC, so the index lookup leaks nothing about
    stored tokens; the final comparison is constant-time all the same.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    candidates = _digests(token)
    record = (
        ApiToken.objects.select_related("user", "user__membership__tenant")
        .filter(digest__in=candidates, revoked_at__isnull=True)
        .first()
    )
    if record is None or not record.user.is_active:
        return None
    if not any(constant_time_compare(record.digest, digest) for digest in candidates):
        return None
    return record


def api_token_used(record: ApiToken, *, now=None) -> None:
    """Record that ``record`` was used now, at most once per LAST_USED_RESOLUTION (one guarded UPDATE)."""
    now = now or timezone.now()
    stale = now - LAST_USED_RESOLUTION
    if record.last_used_at is not None and record.last_used_at > stale:
        return
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=record.pk).update(
        last_used_at=now
    )
    record.last_used_at = now
