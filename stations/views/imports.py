"""The Imports pages (SPEC §7): every import attempt of the tenant (support staff: of every tenant), each
with its outcome, errors, stations, labels and plan download. Scoped by ``selectors``: a record outside
the user's scope is a 404, whatever its number."""

import csv
import io
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.generic import DetailView, ListView

from .. import services
from ..csv_format import DELIMITER, neutralise_cell
from ..models import LabelLayoutChoice
from ..results import CREATE, OVERRIDE, REFUSED, RowError, group_errors
from ..selectors import import_records_listed_for, import_records_visible_to, tenant_of
from .upload import ERRORS_SHOWN, STATIONS_SHOWN, download_name

# The records are the user's view of their stations' history: who may see stations may see them.
VIEW_PERMISSION = "stations.view_station"
RECORDS_PER_PAGE = 50


@dataclass(frozen=True)
class PlannedStation:
    """One station of a stored plan (``ImportRecord.plan``), as the page and the download show it."""

    station_id: str
    first_row: int
    last_row: int
    spec_count: int
    action: str
    stored_as: str

    @property
    def rows(self) -> str:
        return str(self.first_row) if self.first_row == self.last_row else f"{self.first_row}–{self.last_row}"


def planned_stations(record) -> list[PlannedStation]:
    return [PlannedStation(*item) for item in record.plan]


def action_label(record, action: str) -> str:
    """What happened (or would happen) to a station of the attempt, in words."""
    if action == REFUSED:
        return "refused"
    done = {CREATE: "created", OVERRIDE: "overridden"}[action]
    if not record.dry_run:
        return done if record.succeeded else f"would have been {done}"
    return f"would be {done}" if record.succeeded else f"OK: would be {done} once the errors are fixed"


class ImportListView(LoginRequiredMixin, PermissionRequiredMixin, ListView):
    permission_required = VIEW_PERMISSION
    template_name = "stations/imports/list.html"
    context_object_name = "records"
    paginate_by = RECORDS_PER_PAGE

    def get_queryset(self):
        return import_records_listed_for(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tenant=tenant_of(self.request.user), **kwargs)


class ImportDetailView(LoginRequiredMixin, PermissionRequiredMixin, DetailView):
    permission_required = VIEW_PERMISSION
    template_name = "stations/imports/detail.html"
    context_object_name = "record"

    def get_queryset(self):
        return (
            import_records_visible_to(self.request.user)
            .select_related("user", "tenant")
            .defer("kept_file")
            .annotate(
                has_kept_file=ExpressionWrapper(Q(kept_file__isnull=False), output_field=BooleanField())
            )
        )

    def get_context_data(self, **kwargs):
        record = self.object
        errors = [RowError(e["row"], e["column"], e["code"], e["message"], e["value"]) for e in record.errors]
        groups = group_errors(errors)
        stations = planned_stations(record)
        kept = (
            record.has_kept_file
            and record.created_at >= services.kept_file_cutoff()
            and tenant_of(self.request.user) == record.tenant
        )
        return super().get_context_data(
            error_groups=groups[:ERRORS_SHOWN],
            error_groups_more=max(0, len(groups) - ERRORS_SHOWN),
            stations_shown=[(s, action_label(record, s.action)) for s in stations[:STATIONS_SHOWN]],
            stations_more=max(0, len(stations) - STATIONS_SHOWN),
            station_count=len(stations),
            stations_now=record.stations.count(),
            overview_url=f"{reverse('admin:stations_station_changelist')}?last_import__id__exact={record.pk}",
            label_layouts=LabelLayoutChoice.choices,
            can_import_kept=kept,
            imports_of_check=list(
                record.imports.order_by("-created_at").only("pk", "created_at", "succeeded")
            ),
            kept_hours=settings.STATION_IMPORT_KEPT_FILE_RETENTION_HOURS,
            **kwargs,
        )


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def import_plan_csv(request, pk):
    """The attempt's whole plan, station by station, as a semicolon CSV (what the page lists the start of)."""
    record = get_object_or_404(import_records_visible_to(request.user).defer("kept_file", "errors"), pk=pk)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow(["Station ID", "Spreadsheet rows", "Connector specifications", "Action", "Stored as"])
    for station in planned_stations(record):
        cells = [
            station.station_id,
            station.rows,
            str(station.spec_count),
            action_label(record, station.action),
            station.stored_as if station.stored_as != station.station_id else "",
        ]
        writer.writerow([neutralise_cell(cell) for cell in cells])
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, download_name(record, "plan.csv"))
    return response
