"""The CSV upload page (SPEC §3) and its example files: a thin view over ``csv_import`` and the service.

The full error list is downloadable without keeping anything on the server: the result page carries it
as a signed, compressed token in a form, and posting that form back returns it as a CSV. Any app server
can answer that post (it needs only the secret key), and the signature stops the page from being used to
serve content the server did not produce; the token also names the user it was made for and expires.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core import signing
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .. import csv_format, csv_import, services
from ..choices import ConnectorFormat, ConnectorStandard, ImportSource, PowerType
from ..rules import AMPERAGE_MAX, AMPERAGE_MIN, VOLTAGE_MAX, VOLTAGE_MIN
from ..selectors import tenant_of

ERRORS_SHOWN = 100
_ERRORS_SALT = "stations.upload.errors"
_ERRORS_MAX_AGE = 6 * 60 * 60


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Semicolon-separated, UTF-8 or Windows-1252, at most 5,000 rows.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )
    check_only = forms.BooleanField(
        label="Check only",
        required=False,
        help_text="Check the file and show what would be created, overridden or refused, without importing.",
    )


class _UploadLimit(FileUploadHandler):
    """Stops reading an upload as soon as it passes the size limit, so a huge file is never stored."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded_size = 0
        self.name = ""

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        self.name = file_name

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The request as a whole is larger than any allowed file plus a generous form overhead.
        if content_length and content_length > self.limit + 64 * 1024:
            self.exceeded_size = content_length

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.exceeded_size or self.received > self.limit:
            self.exceeded_size = max(self.exceeded_size, self.received)
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


@method_decorator(csrf_exempt, name="dispatch")  # checked in _post, after the size guard is in place
class StationUploadView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "stations.add_station"
    template_name = "stations/upload.html"

    def get(self, request):
        return self.show(request, UploadForm())

    def post(self, request):
        # Upload handlers can only be changed before the body is read, that is, before the CSRF check.
        guard = _UploadLimit(request, csv_import.max_upload_bytes())
        request.upload_handlers.insert(0, guard)
        return self._post(request, guard)

    @method_decorator(csrf_protect)
    def _post(self, request, guard):
        if "errors_token" in request.POST:
            return _errors_download(request)
        tenant = tenant_of(request.user)
        form = UploadForm(request.POST, request.FILES)
        if tenant is None:
            return self.show(request, form, status=403)
        dry_run = request.POST.get("check_only") == "on"
        if guard.exceeded_size:
            upload_name = guard.name
            plan = csv_import.refused_plan(csv_import.too_large_error(guard.exceeded_size))
        elif not form.is_valid():
            return self.show(request, form, status=400)
        else:
            upload = form.cleaned_data["file"]
            upload_name = upload.name
            if upload.size > csv_import.max_upload_bytes():
                plan = csv_import.refused_plan(csv_import.too_large_error(upload.size))
            else:
                plan = csv_import.parse(upload.read(), tenant=tenant)
        result = services.stations_import(
            tenant=tenant,
            user=request.user,
            plan=plan,
            source=ImportSource.UPLOAD,
            file_name=upload_name,
            dry_run=dry_run,
        )
        return self.show(
            request,
            UploadForm(initial={"check_only": dry_run}),
            result=result,
            file_name=upload_name,
            errors_token=_errors_token(request, result.errors) if result.errors else "",
            status=200 if result.ok else 422,
        )

    def show(self, request, form, status=200, **context):
        result = context.get("result")
        if result is not None:
            context["errors_shown"] = result.errors[:ERRORS_SHOWN]
            context["errors_more"] = max(0, len(result.errors) - ERRORS_SHOWN)
            # A refusal of the file as a whole (too large, not text, empty) reads better as a sentence.
            context["whole_file"] = bool(result.errors) and all(e.row is None for e in result.errors)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "tenant": tenant_of(request.user),
                "headers": csv_format.HEADERS,
                "examples": [(kind, title) for kind, (title, _stations) in csv_format.EXAMPLES.items()],
                "connector_types": ConnectorStandard.choices,
                "formats": ConnectorFormat.labels,
                "power_types": PowerType.labels,
                "limits": {
                    "voltage": (VOLTAGE_MIN, VOLTAGE_MAX),
                    "amperage": (AMPERAGE_MIN, AMPERAGE_MAX),
                    "megabytes": csv_import.max_upload_bytes() // (1024 * 1024),
                },
                **context,
            },
            status=status,
        )


def _errors_token(request, errors) -> str:
    rows = [[e.row, e.column, e.value, e.message] for e in errors]
    return signing.dumps({"user": request.user.pk, "errors": rows}, salt=_ERRORS_SALT, compress=True)


def _errors_download(request) -> HttpResponse:
    try:
        payload = signing.loads(request.POST["errors_token"], salt=_ERRORS_SALT, max_age=_ERRORS_MAX_AGE)
    except signing.BadSignature:
        return HttpResponse("This error list has expired: upload the file again.", status=400)
    if payload.get("user") != request.user.pk:
        return HttpResponse("This error list belongs to another user.", status=403)
    errors = [
        csv_import.RowError(row, column, "", message, value)
        for row, column, value, message in payload["errors"]
    ]
    response = HttpResponse(
        csv_import.errors_csv(errors).encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="import-errors.csv"'
    return response


@login_required
def example_csv(request, kind):
    """One of the two example files, generated from the column table (always importable)."""
    if kind not in csv_format.EXAMPLES:
        raise Http404("There is no such example file.")
    response = HttpResponse(
        csv_format.example_csv(kind).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="stations-example-{kind}.csv"'
    return response
