"""Every API error as JSON with a stable ``code``: DRF's exceptions and the domain's ValidationErrors.

The shape is always ``{"code", "message", "errors": [{"field", "code", "message"}, …]}``; ``field`` is a
path into the request body (``connectors[1].voltage``) or null for the request as a whole.
"""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

# The code of an error that DRF raises, by exception class, where DRF's own default is too vague.
_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def error_body(code: str, message: str, errors: list | None = None) -> dict:
    return {"code": code, "message": message, "errors": errors or []}


def _flatten(detail, path: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of field paths, codes and messages."""
    if isinstance(detail, dict):
        items = []
        for key, value in detail.items():
            if isinstance(key, int):  # a list serializer's errors, by item index
                items += _flatten(value, f"{path}[{key}]")
                continue
            name = None if key in ("non_field_errors", NON_FIELD_ERRORS) else str(key)
            items += _flatten(value, f"{path}.{name}" if path and name else (name or path))
        return items
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail) for item in detail):
            return [{"field": path or None, "code": item.code, "message": str(item)} for item in detail]
        items = []
        for index, value in enumerate(detail):
            items += _flatten(value, f"{path}[{index}]")
        return items
    return [{"field": path or None, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def domain_errors(error: DjangoValidationError, *, connectors_field: str = "connectors") -> list[dict]:
    """A domain ``ValidationError`` (the model's, the service's) as field paths, codes and messages.

    Connector specification errors carry their position and field in ``params`` (see
    ``services.connector_specs_build``); their path is ``connectors[<position - 1>].<field>``.
    """
    items = []
    if hasattr(error, "error_dict"):
        for name, field_errors in error.error_dict.items():
            field = None if name == NON_FIELD_ERRORS else name
            items += [
                {"field": field, "code": e.code or "invalid", "message": _message(e)} for e in field_errors
            ]
        return items
    for e in error.error_list:
        params = e.params or {}
        if "position" in params and "field" in params:
            field = f"{connectors_field}[{params['position'] - 1}].{params['field']}"
        elif e.code in ("no_connector_specs", "positions_not_sequential", "too_many_connector_specs"):
            field = connectors_field
        else:
            field = None
        items.append({"field": field, "code": e.code or "invalid", "message": _message(e)})
    return items


def _message(error: DjangoValidationError) -> str:
    return error.message % error.params if error.params else str(error.message)


def domain_error_response(error: DjangoValidationError, status_code: int = status.HTTP_400_BAD_REQUEST):
    items = domain_errors(error)
    first = items[0] if items else {"code": "invalid", "message": "The request is not valid."}
    code = first["code"] if len(items) == 1 else "invalid"
    message = first["message"] if len(items) == 1 else f"The request has {len(items)} errors."
    return Response(error_body(code, message, items), status=status_code)


def api_exception_handler(exc, context):
    """DRF's handler (status, headers such as Retry-After and WWW-Authenticate), with our body."""
    if isinstance(exc, DjangoValidationError):
        return domain_error_response(exc)
    if isinstance(exc, RequestDataTooBig):
        # Django's guard on bodies it holds in memory (DATA_UPLOAD_MAX_MEMORY_SIZE): else an HTML 400 page.
        message = "The request body is too large. Send a file to imports/ as a file, not as JSON."
        return Response(
            error_body("request_too_large", message), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, SuspiciousOperation):
        # Django's other request guards (too many form fields or files): its 400, as JSON.
        return Response(error_body("bad_request", "The request is not valid."), status=400)
    if isinstance(exc, Http404):
        # Says nothing of why: another tenant's station is as absent as a station that does not exist.
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        items = _flatten(exc.detail)
        code = items[0]["code"] if len(items) == 1 else "invalid"
        message = items[0]["message"] if len(items) == 1 else f"The request has {len(items)} errors."
        response.data = error_body(code, message, items)
        return response
    detail = getattr(exc, "detail", None)
    code = next((value for cls, value in _CODES.items() if isinstance(exc, cls)), None)
    if isinstance(exc, exceptions.APIException) and getattr(detail, "code", None) not in (
        None,
        exc.default_code,
    ):
        code = detail.code  # a specific code given where the exception was raised
    if isinstance(exc, exceptions.AuthenticationFailed) and code is None:
        code = "authentication_failed"
    response.data = error_body(code or getattr(exc, "default_code", "error"), str(detail or exc))
    return response
