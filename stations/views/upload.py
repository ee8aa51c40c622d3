"""The upload page (SPEC §3: CSV, .xlsx, .ods), its example files, the Excel template and the error
lists: a thin view over ``csv_import`` and the service.

Every attempt's full error list is stored on its ``ImportRecord``; the result page links to it by record
(``stations:upload_errors``), which anyone who may see the record (``selectors.import_records_visible_to``)
and may import can download. A passed Check only keeps its file on its record, and **Import these
stations** (``stations:import_checked``) imports it from there, checked again.
"""

import re

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from .. import csv_export, csv_format, csv_import, rules, services, xlsx
from ..choices import ConnectorFormat, ConnectorStandard, ImportSource, PowerType
from ..results import CREATE, OVERRIDE, REFUSED, WINDOWS_1252, RowError, group_errors
from ..selectors import import_records_visible_to, kept_checks_of, tenant_of
from . import TenantRequiredMixin

# Errors and warnings listed on the page; the download has them all.
ERRORS_SHOWN = 100
# Stations listed on a result page; the plan download has them all (a 5,000-row page stays small).
STATIONS_SHOWN = 100
# Accented letters and values quoted from a Windows-1252 file, for the user to check them.
ACCENTED_SHOWN = 8
_NON_ASCII_VALUE = re.compile(r'[^;\r\n"]*[^\x00-\x7f][^;\r\n"]*')

ACCEPTED_FILES = ",".join(
    (
        ".csv",
        "text/csv",
        "text/plain",
        ".xlsx",
        xlsx.CONTENT_TYPE,
        ".ods",
        "application/vnd.oasis.opendocument.spreadsheet",
    )
)
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
        label="CSV file or workbook (.xlsx, .ods)",
        # An empty file is the engine's to refuse (``empty_file``), with a record like any other attempt.
        allow_empty_file=True,
        # Only a hint for the file chooser: the engine recognises the format by content, not by name.
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
    )
    check_only = forms.BooleanField(
        label="Check only",
        required=False,
        help_text="Check the file and show what would be created, overridden or refused, without importing.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "A CSV file (semicolon-separated, UTF-8 or Windows-1252), an Excel workbook (.xlsx) or a "
            f"LibreOffice spreadsheet (.ods; its first sheet), at most {csv_import.max_rows():,} rows "
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
            data = b""
            plan = csv_import.size_refusal(guard.exceeded_size)
        elif not form.is_valid():
            return self.show(request, form, status=400)
        else:
            upload = form.cleaned_data["file"]
            upload_name = upload.name
            data = upload.read()
            plan = csv_import.parse(data, tenant=tenant)
        dry_run = form.cleaned_data.get("check_only", False)
        result = services.stations_import(
            tenant=tenant,
            user=request.user,
            plan=plan,
            source=ImportSource.UPLOAD,
            file_name=upload_name,
            dry_run=dry_run,
        )
        if dry_run and result.ok:
            services.import_record_keep_file(record=result.record, data=data)
        return self.show(
            request,
            UploadForm(initial={"check_only": dry_run}),
            result=result,
            file_name=upload_name,
            accented=accented_samples(data) if plan.encoding == WINDOWS_1252 else None,
            status=200 if result.ok else 422,
        )

    def show(self, request, form, status=200, **context):
        context["kept_hours"] = settings.STATION_IMPORT_KEPT_FILE_RETENTION_HOURS
        result = context.get("result")
        if result is not None:
            groups = group_errors(result.errors)
            context["error_groups"] = groups[:ERRORS_SHOWN]
            context["error_groups_more"] = max(0, len(groups) - ERRORS_SHOWN)
            context["file_errors"] = [e for e in result.errors if e.row is None][:ERRORS_SHOWN]
            context["stations_shown"] = result.plan.stations[:STATIONS_SHOWN]
            context["stations_more"] = max(0, len(result.plan.stations) - STATIONS_SHOWN)
            context["action_counts"] = {
                action: result.plan.count(action) for action in (CREATE, OVERRIDE, REFUSED)
            }
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
                "optional_headers": [
                    c.header for c in csv_format.COLUMNS if not csv_import.is_required(c) and not c.optional
                ],
                "examples": [(kind, title) for kind, (title, _stations) in csv_export.EXAMPLES.items()],
                "connector_types": ConnectorStandard.choices,
                "formats": ConnectorFormat.labels,
                "power_types": PowerType.labels,
                "boolean_words": csv_format.SPREADSHEET_BOOLEAN_WORDS,
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
        RowError(item["row"], item["column"], item["code"], item["message"], item["value"], item.get("cell"))
        for item in record.errors
    ]
    if record.errors_capped:
        note = CAPPED_MESSAGE.format(stored=len(record.errors), count=record.error_count)
        errors.insert(0, RowError(None, "", "errors_capped", note))
    response = HttpResponse(
        csv_import.errors_csv(errors).encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, download_name(record, "errors.csv"))
    return response


def download_name(record, suffix: str) -> str:
    """``stations-errors.csv`` for an upload of ``stations.csv``; ``import-8-errors.csv`` without a name."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", record.file_name.replace("\\", "/").rsplit("/", 1)[-1])
    # Django's header writer quotes what needs it; quotes and control characters have no place in a name.
    stem = re.sub(r'[\x00-\x1f"]+', "", stem).strip() or f"import-{record.pk}"
    return f"{stem}-{suffix}"


def accented_samples(data: bytes) -> dict:
    """The first distinct non-ASCII letters of a Windows-1252 file and values holding them, as read."""
    text = data.decode("cp1252", errors="replace")
    values, letters = [], []
    for match in _NON_ASCII_VALUE.finditer(text):
        value = match.group().strip()
        new = [c for c in dict.fromkeys(value) if ord(c) > 127 and c not in letters]
        if new and len(values) < ACCENTED_SHOWN:
            values.append(value[:60])
        letters += new[: ACCENTED_SHOWN - len(letters)]
        if len(letters) >= ACCENTED_SHOWN or len(values) >= ACCENTED_SHOWN:
            break
    return {"letters": letters, "values": values}


class ImportCheckedView(TenantRequiredMixin, LoginRequiredMixin, PermissionRequiredMixin, View):
    """**Import these stations**: the file a passed Check only kept, imported without choosing it again.

    A POST (CSRF-checked) naming the check's record, which only its tenant can find (another tenant's is a
    404); a file imported already or past its retention gets the upload page with a message saying so.
    """

    permission_required = "stations.add_station"

    def post(self, request, pk):
        check = get_object_or_404(kept_checks_of(request.user), pk=pk)
        upload, read = StationUploadView(), {}

        def parse(data, *, tenant):
            read["data"] = data  # for the Windows-1252 note: the service takes the file from the record
            return csv_import.parse(data, tenant=tenant)

        try:
            result = services.stations_import_kept(record=check, user=request.user, parse=parse)
        except services.KeptFileGone:
            return upload.show(request, UploadForm(), kept_gone=check, status=410)
        return upload.show(
            request,
            UploadForm(),
            result=result,
            file_name=check.file_name,
            accented=accented_samples(read["data"]) if result.plan.encoding == WINDOWS_1252 else None,
            status=200 if result.ok else 422,
        )


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


@login_required
@permission_required("stations.add_station", raise_exception=True)
def template_xlsx(request):
    """The Excel template (SPEC §3), written from the column table: Text columns, drop-down lists, two
    example stations whose Station IDs are new on every download, as the CSV examples'."""
    response = HttpResponse(xlsx.template_bytes(), content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="stations-template.xlsx"'
    response["Cache-Control"] = "no-store"
    return response
