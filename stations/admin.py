"""The station management overview (SPEC §4): find, inspect, correct and export stations in the admin.

Every view starts from ``selectors.stations_visible_to`` (list, change, delete, history, actions, export,
filter choices), so an operator only ever meets its own tenant's stations; another tenant's station is a
404, never a redirect that names it. Tenants, memberships and import records are support staff's alone.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, Count, Exists, F, Max, OuterRef, Q, Subquery, Value, When
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from . import rules, selectors, services
from .choices import PowerType, StationStatus
from .csv_export import export_lines
from .formats import local_datetime
from .forms import STANDARD_CHOICES_BY_LABEL
from .models import ConnectorSpec, ImportRecord, Membership, Station, Tenant

# Positions are moved out of the way by this much while a reordered set is saved (unique per station).
_POSITION_SHIFT = 10_000
EXPORT_FILE_NAME = "stations-{:%Y%m%d-%H%M}.csv"


def _is_support(request) -> bool:
    return request.user.is_active and request.user.is_superuser


def _specs_of_station():
    return ConnectorSpec.objects.filter(station=OuterRef("pk")).order_by().values("station")


def _power_expression():
    # The phase factor comes from rules.power_watts itself (P = factor × V × A), so the SQL cannot drift.
    factor = Case(*(When(power_type=kind, then=Value(rules.power_watts(kind, 1, 1))) for kind in PowerType))
    return factor * F("voltage") * F("amperage")


def annotate_spec_summary(queryset):
    """Stations with ``spec_count`` and ``max_power`` (watts) computed in the query, one subquery each:
    evaluated only for the rows of the page, not for the whole tenant."""
    return queryset.annotate(
        spec_count=Subquery(_specs_of_station().annotate(n=Count("pk")).values("n")[:1]),
        max_power=Subquery(_specs_of_station().annotate(w=Max(_power_expression())).values("w")[:1]),
    )


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL, an unfiltered list of a large table takes the planner's row estimate instead of a
    full COUNT(*); filtered lists (an operator's tenant included) count exactly, on an index."""

    ESTIMATE_ABOVE = 50_000

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if connection.vendor == "postgresql" and query is not None and not query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [self.object_list.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > self.ESTIMATE_ABOVE:
                return int(row[0])
        return super().count


# ---------------------------------------------------------------------------------------------- filters


class ConnectivityFilter(admin.SimpleListFilter):
    title = "Connectivity"
    parameter_name = "connectivity"

    def lookups(self, request, model_admin):
        return [("wifi", "Wi-Fi only"), ("gsm", "GSM only"), ("both", "Wi-Fi and GSM")]

    def queryset(self, request, queryset):
        wanted = {
            "wifi": Q(wifi_supported=True, gsm_supported=False),
            "gsm": Q(wifi_supported=False, gsm_supported=True),
            "both": Q(wifi_supported=True, gsm_supported=True),
        }.get(self.value())
        return queryset if wanted is None else queryset.filter(wanted)


class PowerTypeFilter(admin.SimpleListFilter):
    title = "Power type"
    parameter_name = "power_type"

    def lookups(self, request, model_admin):
        return PowerType.choices

    def queryset(self, request, queryset):
        if self.value() not in PowerType.values:
            return queryset
        return queryset.filter(
            Exists(ConnectorSpec.objects.filter(station=OuterRef("pk"), power_type=self.value()))
        )


class ManufacturerFilter(admin.SimpleListFilter):
    """The manufacturers of the stations the user may see, and no one else's."""

    title = "Manufacturer"
    parameter_name = "manufacturer"
    MAX_CHOICES = 50

    def lookups(self, request, model_admin):
        names = (
            selectors.stations_visible_to(request.user)
            .order_by("manufacturer")
            .values_list("manufacturer", flat=True)
            .distinct()[: self.MAX_CHOICES]
        )
        return [(name, name) for name in names]

    def queryset(self, request, queryset):
        return queryset if self.value() is None else queryset.filter(manufacturer=self.value())


class TenantFilter(admin.RelatedFieldListFilter):
    """Support staff only (see ``StationAdmin.get_list_filter``): every tenant is a choice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "Tenant"


# -------------------------------------------------------------------------------------- connector specs


class ConnectorSpecForm(forms.ModelForm):
    VALUES = ["position", "standard", "format", "power_type", "voltage", "amperage"]

    class Meta:
        model = ConnectorSpec
        fields = ["position", "standard", "format", "power_type", "voltage", "amperage"]

    LIMITS = {
        "voltage": (rules.VOLTAGE_MIN, rules.VOLTAGE_MAX),
        "amperage": (rules.AMPERAGE_MIN, rules.AMPERAGE_MAX),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["standard"].choices = [("", "---------"), *STANDARD_CHOICES_BY_LABEL]
        for name, (low, high) in self.LIMITS.items():
            self.fields[name].widget.attrs.update({"min": low, "max": high})
        # What the row holds before this request changes it: shown again if the change is refused.
        self._saved_values = {name: getattr(self.instance, name) for name in self.VALUES}

    def _post_clean(self):
        super()._post_clean()
        if self.errors:
            # Power, warning and the row's title come from the instance: they must not describe values
            # that were just refused, so it goes back to what is saved (blank for a new row).
            for name, value in self._saved_values.items():
                setattr(self.instance, name, value)

    def _get_validation_exclusions(self):
        # The positions are checked as a set (rules.check_positions in the formset): a sibling being moved
        # away from a position in the same save is no conflict, so the per-row database check is skipped.
        exclude = super()._get_validation_exclusions()
        exclude.add("position")
        return exclude


class ConnectorSpecFormSet(forms.BaseInlineFormSet):
    def _kept_forms(self):
        return [
            form
            for form in self.forms
            if form not in self.deleted_forms
            and getattr(form, "cleaned_data", None)
            and form.cleaned_data.get("position") is not None
        ]

    def clean(self):
        if any(self.errors):
            return
        # The rule of the set (1..N, no gaps, at least one) is the domain's, as in the wizard and the CSV.
        rules.check_positions(form.cleaned_data["position"] for form in self._kept_forms())
        super().clean()

    def save(self, commit=True):
        if commit and self.instance.pk:
            moving = [
                form.instance.pk
                for form in self.initial_forms
                if form.instance.pk and (form in self.deleted_forms or "position" in form.changed_data)
            ]
            ConnectorSpec.objects.filter(pk__in=moving).update(position=F("position") + _POSITION_SHIFT)
        return super().save(commit=commit)


class ConnectorSpecInlineAdminFormSet(helpers.InlineAdminFormSet):
    def inline_formset_data(self):
        # Django writes "Add another" with a capital (capfirst of the verbose name) mid-sentence.
        data = json.loads(super().inline_formset_data())
        data["options"]["addText"] = f"Add another {self.opts.verbose_name}"
        return json.dumps(data)


class ConnectorSpecInline(admin.TabularInline):
    model = ConnectorSpec
    form = ConnectorSpecForm
    formset = ConnectorSpecFormSet
    fields = ["position", "standard", "format", "power_type", "voltage", "amperage", "power", "warning"]
    readonly_fields = ["power", "warning"]
    ordering = ["position"]
    min_num = 1
    verbose_name_plural = "connector specifications (position N is connector ID N)"

    def get_extra(self, request, obj=None, **kwargs):
        # One blank row on an inactive station, so that a specification can be added without JavaScript
        # ("Add another" needs it). Django ignores the row unless it is filled in.
        return 1 if obj is not None and not obj.is_active else 0

    @admin.display(description="Power")
    def power(self, spec):
        return spec.power_display or "–"

    @admin.display(description="Warning")
    def warning(self, spec):
        warning = spec.line_voltage_warning if spec.pk else None
        if warning is None:
            return ""
        return format_html('<span class="line-voltage-warning">⚠ {}</span>', warning.message)


# ---------------------------------------------------------------------------------------------- station


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    inlines = [ConnectorSpecInline]
    list_display_links = ["station_id"]
    search_fields = ["station_id", "serial_number", "article_number"]
    search_help_text = "Search by Station ID, serial number or article number."
    list_select_related = ["tenant", "activated_by"]
    list_per_page = 50
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    actions = ["export_csv", "deactivate"]
    change_list_template = "admin/stations/station/change_list.html"
    change_form_template = "admin/stations/station/change_form.html"

    # ---- scope

    def get_queryset(self, request):
        queryset = annotate_spec_summary(selectors.stations_visible_to(request.user))
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # The stock redirect names the guessed key; a station outside the user's scope simply isn't there.
        raise Http404("No station matches the given query.")

    def has_add_permission(self, request):
        # Stations come in through the wizard or the CSV upload (the "+ Add stations" menu), not a blank form.
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("stations:import")

    def has_delete_permission(self, request, obj=None):
        # An active station belongs to its owner now: only support staff may remove it (the change page,
        # the delete page and the bulk delete action all ask this per station).
        if obj is not None and obj.is_active and not _is_support(request):
            return False
        return super().has_delete_permission(request, obj)

    # ---- list

    def get_list_display(self, request):
        columns = [
            "station_id",
            "manufacturer",
            "connectivity",
            "connector_count",
            "maximum_power",
            "status_badge",
            "owner",
        ]
        if _is_support(request):
            columns.append("tenant")
        columns.append("imported_at")
        return columns

    def get_list_filter(self, request):
        filters = ["status", ConnectivityFilter, PowerTypeFilter, ManufacturerFilter]
        if _is_support(request):
            filters.append(("tenant", TenantFilter))
        return filters

    @admin.display(description="Connectivity")
    def connectivity(self, station):
        kinds = (("Wi-Fi", station.wifi_supported), ("GSM", station.gsm_supported))
        return ", ".join(name for name, supported in kinds if supported)

    @admin.display(description="Connector specs", ordering="spec_count")
    def connector_count(self, station):
        return station.spec_count

    @admin.display(description="Maximum power", ordering="max_power")
    def maximum_power(self, station):
        return rules.format_kw(station.max_power) if station.max_power else "–"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, station):
        return format_html(
            '<span class="status-badge status-{}">{}</span>', station.status, station.get_status_display()
        )

    @admin.display(description="Imported at", ordering="created_at")
    def imported_at(self, station):
        return local_datetime(station.created_at)

    @admin.display(description="Updated at")
    def updated(self, station):
        return local_datetime(station.updated_at)

    @admin.display(description="Activated at")
    def activated(self, station):
        return local_datetime(station.activated_at)

    @admin.display(description="Deactivated at")
    def deactivated(self, station):
        return local_datetime(station.deactivated_at)

    @admin.display(description="Owner", ordering="activated_by__username")
    def owner(self, station):
        return station.activated_by.get_username() if station.activated_by else "–"

    def changelist_view(self, request, extra_context=None):
        tenant = selectors.tenant_of(request.user)
        extra_context = {
            "title": f"Stations of {tenant.name}" if tenant else "Stations of every operator",
            **(extra_context or {}),
            "can_import": tenant is not None and request.user.has_perm("stations.add_station"),
            "export_url": reverse("admin:stations_station_export"),
        }
        return super().changelist_view(request, extra_context=extra_context)

    # ---- change page

    def get_fieldsets(self, request, obj=None):
        status_fields = ["status", "activated", "owner", "deactivated", "deactivated_by", "previous_owner"]
        bookkeeping = ["import_link", "imported_at", "updated"]
        if _is_support(request):
            bookkeeping.insert(0, "tenant")
        return [
            (
                "Station details",
                {
                    "fields": [
                        "station_id",
                        "security_code",
                        "manufacturer",
                        "article_number",
                        "serial_number",
                    ]
                },
            ),
            (
                "Connectivity type",
                {
                    # The Ethernet advice is the Wi-Fi field's own help text, shown under it.
                    "fields": ["wifi_supported", "gsm_supported"],
                    "description": "At least one.",
                },
            ),
            ("Activation", {"fields": status_fields}),
            ("Import", {"fields": bookkeeping}),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = [
            "status",
            "activated",
            "owner",
            "deactivated",
            "deactivated_by",
            "previous_owner",
            "tenant",
            "import_link",
            "imported_at",
            "updated",
        ]
        if obj is not None and obj.is_active:
            # The station identifies itself with these and its owner proved knowing them: frozen now.
            fields[:0] = ["station_id", "security_code"]
        return fields

    @admin.display(description="Import")
    def import_link(self, station):
        record = station.last_import
        if record is None:
            return "–"
        # As ImportRecord.__str__ says it, with the moment in local time and the admin's format.
        text = f"{record.file_name or record.get_source_display()} at {local_datetime(record.created_at)}"
        if getattr(station, "_shown_to_support", False):
            url = reverse("admin:stations_importrecord_change", args=[record.pk])
            return format_html('<a href="{}">{}</a>', url, text)
        return text

    def connector_mapping(self, station):
        """The read-only table of which specification each connector ID gets at activation."""
        specs = sorted(station.connector_specs.all(), key=lambda spec: spec.position)
        if not specs:
            return "–"
        rows = [
            {
                "connector_id": connector_id,
                "spec": specs[rules.specification_for_connector(connector_id, len(specs)) - 1],
            }
            for connector_id in range(1, len(specs) + 1)
        ]
        return render_to_string(
            "admin/stations/station/connector_mapping.html", {"rows": rows, "single": len(specs) == 1}
        )

    def get_object(self, request, object_id, from_field=None):
        station = super().get_object(request, object_id, from_field)
        if station is not None:
            # Only support staff can open import records: the others see the record as text.
            station._shown_to_support = _is_support(request)
        return station

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            inline_formset.__class__ = ConnectorSpecInlineAdminFormSet
        return inline_formsets

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["connector_mapping"] = self.connector_mapping(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # ---- actions and export

    def get_urls(self):
        urls = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_matching_view),
                name="stations_station_export",
            )
        ]
        return urls + super().get_urls()

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not _is_support(request):
            actions.pop("deactivate", None)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (type(self).delete_selected_stations, name, description)
        return actions

    @admin.action(permissions=["delete"], description=delete_selected.short_description)
    def delete_selected_stations(self, request, queryset):
        """Django's bulk delete, minus the active stations an operator may not delete, said plainly
        (the stock page speaks of "related objects" and a missing "station" permission)."""
        if not _is_support(request):
            active_ones = queryset.filter(status=StationStatus.ACTIVE).order_by("station_id")
            active = list(active_ones.values_list("station_id", flat=True))
            if active:
                verb = "is" if len(active) == 1 else "are"
                self.message_user(
                    request,
                    f"{', '.join(active)} {verb} active; only support staff can delete active stations.",
                    messages.ERROR,
                )
                queryset = queryset.exclude(status=StationStatus.ACTIVE)
                if not queryset.exists():
                    return None
        return delete_selected(self, request, queryset)

    def _export_response(self, queryset):
        response = StreamingHttpResponse(
            (line.encode("utf-8") for line in export_lines(queryset)), content_type="text/csv; charset=utf-8"
        )
        name = EXPORT_FILE_NAME.format(timezone.localtime())
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(description="Export selected stations as CSV (import format)", permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export_response(queryset)

    def export_matching_view(self, request):
        """Every station matching the list's current filters and search, as CSV."""
        if not self.has_view_or_change_permission(request):
            raise Http404
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # As the list itself does with a filter it cannot apply: back to the list, saying so.
            return redirect(reverse("admin:stations_station_changelist") + "?" + ERROR_FLAG + "=1")
        return self._export_response(changelist.get_queryset(request))

    @admin.action(description="Deactivate selected stations (support staff)")
    def deactivate(self, request, queryset):
        if not _is_support(request):
            raise Http404
        if request.POST.get("confirm") != "yes":
            # As Django's bulk delete: a page naming what will happen, and a second POST to do it.
            active = queryset.filter(status=StationStatus.ACTIVE).select_related("activated_by")
            context = {
                **self.admin_site.each_context(request),
                "title": "Deactivate stations?",
                "opts": self.opts,
                "stations": active,
                "skipped": queryset.exclude(status=StationStatus.ACTIVE).count(),
                "queryset": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media,
            }
            return TemplateResponse(request, "admin/stations/station/deactivate_confirmation.html", context)
        stations = services.stations_deactivate(user=request.user, queryset=queryset)
        for station in stations:
            owner = station.activated_by.get_username() if station.activated_by else "nobody"
            LogEntry.objects.log_actions(
                user_id=request.user.pk,
                queryset=[station],
                action_flag=CHANGE,
                change_message=f"Deactivated (was active, owned by {owner}).",
                single_object=True,
            )
        skipped = queryset.count() - len(stations)
        done = f"{len(stations)} station{'' if len(stations) == 1 else 's'} deactivated"
        self.message_user(
            request,
            f"{done}: they can be overridden by an import again."
            + (f" {skipped} not active, left unchanged." if skipped else ""),
            messages.SUCCESS,
        )


# -------------------------------------------------------------------------- support staff's own models


class SupportOnlyAdmin(admin.ModelAdmin):
    """Seen by support staff (superusers) only; for anyone else the pages do not exist."""

    def has_module_permission(self, request):
        return _is_support(request)

    def has_view_permission(self, request, obj=None):
        return _is_support(request)

    def has_change_permission(self, request, obj=None):
        return _is_support(request)

    def has_add_permission(self, request):
        return _is_support(request)

    def has_delete_permission(self, request, obj=None):
        return _is_support(request)

    def _require_support(self, request):
        if not _is_support(request):
            raise Http404

    def changelist_view(self, request, extra_context=None):
        self._require_support(request)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        self._require_support(request)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._require_support(request)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._require_support(request)
        return super().history_view(request, object_id, extra_context)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Tenant)
class TenantAdmin(SupportOnlyAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SupportOnlyAdmin):
    list_display = ["user", "tenant"]
    list_select_related = ["user", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["user__username", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(ImportRecord)
class ImportRecordAdmin(SupportOnlyAdmin):
    """Read-only: an import record is a fact about the past."""

    list_display = [
        "created_at",
        "tenant",
        "user",
        "source",
        "dry_run",
        "file_name",
        "succeeded",
        "row_count",
        "stations_created",
        "stations_overridden",
        "error_count",
    ]
    list_filter = ["succeeded", "source", "dry_run", "tenant"]
    list_select_related = ["tenant", "user"]
    search_fields = ["file_name", "user__username", "tenant__name"]
    exclude = ["errors"]
    readonly_fields = ["created", "error_list"]
    date_hierarchy = "created_at"
    ERRORS_SHOWN = 20

    def get_list_display(self, request):
        # The moment in the product's one format (stations.formats), not the locale's.
        return ["created" if name == "created_at" else name for name in super().get_list_display(request)]

    @admin.display(description="created at", ordering="created_at")
    def created(self, record):
        return local_datetime(record.created_at)

    @admin.display(description="error list")
    def error_list(self, record):
        """The first errors as a table, with the whole list as the CSV the upload page offers."""
        if not record.errors:
            return "–"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            (
                (
                    error.get("row") or "",
                    error.get("column", ""),
                    error.get("value", ""),
                    error.get("message", ""),
                )
                for error in record.errors[: self.ERRORS_SHOWN]
            ),
        )
        download = reverse("stations:upload_errors", args=[record.pk])
        return format_html(
            "<table><thead><tr><th>Row</th><th>Column</th><th>Value</th><th>Message</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}">Download all {} errors (CSV)</a></p>',
            rows,
            download,
            len(record.errors),
        )

    def get_queryset(self, request):
        return selectors.import_records_visible_to(request.user).select_related("tenant", "user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The list and the connector inline are wide: give them the page rather than a model sidebar.
admin.site.enable_nav_sidebar = False

from . import admin_labels  # noqa: E402, F401  (registers LabelPrint; its actions join StationAdmin)
