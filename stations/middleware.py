"""NUL characters in what a request names: PostgreSQL cannot hold them in text, not even in a query's
parameter, so any lookup with one (a Station ID in a URL, an admin filter, an API cursor, a session
cookie) would end in a 500. No valid value has one, so they are refused (or dropped) before any view.
Form and JSON fields need nothing here: Django's and DRF's text fields refuse NUL already.
"""

from django.core.exceptions import BadRequest
from django.http import JsonResponse

NUL = "\x00"
MESSAGE = "The address holds a NUL character, which no valid value has."


class RefuseNulCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A cookie is sent again on every request: refusing it would lock the browser out, so it is
        # treated as absent (a session cookie with a NUL is no one's session).
        for name in [name for name, value in request.COOKIES.items() if NUL in name or NUL in value]:
            del request.COOKIES[name]
        query = request.GET
        if NUL in request.path or any(
            NUL in key or any(NUL in v for v in query.getlist(key)) for key in query
        ):
            if request.path.startswith("/api/"):
                # The API's error shape (api.errors), without importing the API into the domain app.
                return JsonResponse({"code": "nul_character", "message": MESSAGE, "errors": []}, status=400)
            raise BadRequest(MESSAGE)
        return self.get_response(request)
