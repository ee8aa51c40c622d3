"""The CSV upload page (SPEC §3), its example files and the error lists: a thin view over ``csv_import``
and the service.

Every attempt's full error list is stored on its ``ImportRecord``; the result page links to it by record
(``stations:upload_errors``), which anyone who may see the record (``selectors.import_records_visible_to``)
and may import can download.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .. import csv_export, csv_format, csv_import, rules, services
from ..choices import ConnectorFormat, ConnectorStandard, ImportSource, PowerType
from ..results import RowError
from ..selectors import import_records_visible_to, tenant_of
from . import TenantRequiredMixin

# Errors and warnings listed on the page; the download has them all.
ERRORS_SHOWN = 100
CAPPED_MESSAGE = (
    "These are the first {stored:,} of {count:,} errors (the most an import keeps): fix them and check "
    "the file again for the others."
)
PRUNED_MESSAGE = (
    "The list of this import's {count:,} errors was deleted after the retention period ({days} days). "
    "Check the file again to see its errors."
)


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        # An empty file is the engine's to refuse (``empty_file``), with a record like any other attempt.
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}),
    )
    check_only = forms.BooleanField(
        label="Check only",
        required=False,
        help_text="Check the file and show what would be created, overridden or refused, without importing.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"Semicolon-separated, UTF-8 or Windows-1252, at most {csv_import.max_rows():,} rows "
            f"and {csv_import.megabytes(csv_import.max_upload_bytes())}."
        )


class _UploadLimit(FileUploadHandler):
    """Stops storing an upload as soon as it passes the size limit, and lets the page say so.

    This is not a hard cap: with ``StopUpload(connection_reset=False)`` Django still reads (and discards)
    the rest of the request body so that it can answer. The real cap on request size belongs in the
    proxy in front of the app (nginx ``client_max_body_size``, see the README).
    """

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
        if content_length and content_length > self.limit + settings.REQUEST_BODY_MARGIN_BYTES:
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
class StationUploadView(TenantRequiredMixin, LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "stations.add_station"
    template_name = "stations/upload.html"

    def get(self, request):
        return self.show(request, UploadForm())

    def post(self, request):
        # Upload handlers can only be changed before the body is read, that is, before the CSRF check.
        guard = _UploadLimit(request, csv_import.max_upload_bytes())
        request.upload_handlers.insert(0, guard)
        try:
            announced = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            announced = 0  # as Django reads a bad Content-Length
        if announced > csv_import.max_upload_bytes() + settings.REQUEST_BODY_MARGIN_BYTES:
            # Refused unread, so a slow sender cannot hold the worker; the CSRF check would read the body,
            # and the attempt is recorded as a failed sign-in is (no file, nothing imported).
            result = services.stations_import(
                tenant=tenant_of(request.user),
                user=request.user,
                plan=csv_import.size_refusal(announced),
                source=ImportSource.UPLOAD,
                file_name="",
                dry_run=False,
            )
            return self.show(request, UploadForm(), result=result, status=413)
        return self._post(request, guard)

    @method_decorator(csrf_protect)
    def _post(self, request, guard):
        tenant = tenant_of(request.user)
        form = UploadForm(request.POST, request.FILES)
        if guard.exceeded_size:
            # The file never arrived whole, so the form has no file: only the check box is read.
            form.is_valid()
            upload_name = guard.name
            plan = csv_import.size_refusal(guard.exceeded_size)
        elif not form.is_valid():
            return self.show(request, form, status=400)
        else:
            upload = form.cleaned_data["file"]
            upload_name = upload.name
            plan = csv_import.parse(upload.read(), tenant=tenant)
        dry_run = form.cleaned_data.get("check_only", False)
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
            status=200 if result.ok else 422,
        )

    def show(self, request, form, status=200, **context):
        result = context.get("result")
        if result is not None:
            context["errors_shown"] = result.errors[:ERRORS_SHOWN]
            context["errors_more"] = max(0, len(result.errors) - ERRORS_SHOWN)
            context["warnings_shown"] = result.warnings[:ERRORS_SHOWN]
            context["warnings_more"] = max(0, len(result.warnings) - ERRORS_SHOWN)
            # A refusal of the file as a whole (too large, not text, empty) reads better as a sentence.
            context["whole_file"] = bool(result.errors) and all(e.row is None for e in result.errors)
            context["errors_stored"] = len(result.record.errors)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "tenant": tenant_of(request.user),
                "headers": csv_format.HEADERS,
                "optional_headers": [c.header for c in csv_format.COLUMNS if not csv_import.is_required(c)],
                "examples": [(kind, title) for kind, (title, _stations) in csv_export.EXAMPLES.items()],
                "connector_types": ConnectorStandard.choices,
                "formats": ConnectorFormat.labels,
                "power_types": PowerType.labels,
                "limits": {
                    "voltage": (rules.VOLTAGE_MIN, rules.VOLTAGE_MAX),
                    "amperage": (rules.AMPERAGE_MIN, rules.AMPERAGE_MAX),
                    "text": rules.TEXT_MAX_LENGTH,
                    "rows": f"{csv_import.max_rows():,}",
                    "size": csv_import.megabytes(csv_import.max_upload_bytes()),
                    "errors_shown": ERRORS_SHOWN,
                },
                **context,
            },
            status=status,
        )


@login_required
@permission_required("stations.add_station", raise_exception=True)
def upload_errors(request, pk):
    """The full error list of one import attempt as CSV, for whoever may see the attempt's record."""
    record = get_object_or_404(import_records_visible_to(request.user), pk=pk)
    if record.errors_pruned:
        days = settings.STATION_IMPORT_ERROR_RETENTION_DAYS
        message = PRUNED_MESSAGE.format(count=record.error_count, days=days)
        return render(request, "stations/upload_errors_gone.html", {"message": message}, status=410)
    errors = [
        RowError(item["row"], item["column"], item["code"], item["message"], item["value"])
        for item in record.errors
    ]
    if record.errors_capped:
        note = CAPPED_MESSAGE.format(stored=len(record.errors), count=record.error_count)
        errors.insert(0, RowError(None, "", "errors_capped", note))
    response = HttpResponse(
        csv_import.errors_csv(errors).encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{record.pk}-errors.csv"'
    return response


@login_required
def example_csv(request, kind):
    """One of the two example files, generated from the column table (always importable).

    UTF-8 with a byte-order mark, so that Excel reads “Müller” as such; Station IDs new on every download.
    """
    if kind not in csv_export.EXAMPLES:
        raise Http404("There is no such example file.")
    response = HttpResponse(
        csv_export.example_csv(kind).encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = f'attachment; filename="stations-example-{kind}.csv"'
    return response
