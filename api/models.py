"""Personal API tokens: who owns one, its name, and a keyed hash of it (never the token itself)."""

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A personal API token; it acts as its user, with that user's permissions and tenant."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("Name", max_length=100)
    # HMAC-SHA256 of the token under a key derived from SECRET_KEY (api.tokens.token_digest), hex.
    digest = models.CharField(max_length=64, unique=True)
    # The token's first characters, shown in the list so that its owner can tell tokens apart.
    prefix = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField("last used", null=True, blank=True)
    revoked_at = models.DateTimeField("revoked", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
