"""``Authorization: Bearer <token>``: a personal API token acts as its user."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .tokens import api_token_for, api_token_used

BAD_TOKEN_MESSAGE = "The API token is not valid: it is unknown, revoked, or its account is disabled."


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates ``Authorization: Bearer <token>``; ``request.auth`` is the token's record."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as “Authorization: Bearer <token>”, with one space and no other words.",
                code="malformed_authorization",
            )
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(BAD_TOKEN_MESSAGE, code="invalid_token") from None
        record = api_token_for(token)
        if record is None:
            raise exceptions.AuthenticationFailed(BAD_TOKEN_MESSAGE, code="invalid_token")
        api_token_used(record)
        return record.user, record

    def authenticate_header(self, request):
        # Present, so that a missing or bad token answers 401 (with this challenge) rather than 403.
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from the API tokens page (/account/api-tokens/).",
        }
