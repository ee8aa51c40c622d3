"""Who may call what: the token's user's own Django permissions, as on the pages."""

from django.conf import settings
from rest_framework import permissions, throttling

from stations.client_address import client_address


class HasMethodPermissions(permissions.BasePermission):
    """The permissions a view lists for the request's method (``view.required_permissions``)."""

    message = "Your account does not have the permission for this."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        required = getattr(view, "required_permissions", {}).get(method)
        # A method the view does not list is refused, not let through with no permission at all.
        return required is not None and request.user.has_perms(required)


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (per user for other authentication), counted in the shared database cache."""

    scope = "token"

    def get_rate(self):
        # Read at call time (the class attribute is fixed at import), so tests and settings can change it.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is not None and getattr(token, "pk", None) is not None:
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            # Not DRF's get_ident: it trusts X-Forwarded-For, which any client can send.
            ident = f"address-{client_address(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
