"""The station management overview (SPEC §4): find, inspect, correct and export stations in the admin.

Every view starts from ``selectors.stations_visible_to`` (list, change, delete, history, actions, export,
filter choices), so an operator only ever meets its own tenant's stations; another tenant's station is a
404, never a redirect that names it. Tenants, memberships and import records are support staff's alone.
Dates are written by Django itself, in the product's one format (``everon_import/formats``).
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected as stock_delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Round
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from . import labels, rules, selectors, services, xlsx
from .choices import PowerType, StationStatus
from .csv_export import EXPORT_CHUNK_SIZE, export_lines, stations_for_export
from .forms import (
    BLANK_CHOICE_LABEL,
    SPEC_COUNT_LIMITS,
    STANDARD_CHOICES_BY_LABEL,
    KilowattField,
    SpecCountLimit,
    filled_forms,
)
from .models import ConnectorSpec, ImportRecord, LabelLayoutChoice, LabelPrint, Membership, Station, Tenant

# Positions are moved out of the way by this much while a reordered set is saved (unique per station).
_POSITION_SHIFT = 10_000
EXPORT_FILE_NAME = "stations-{:%Y%m%d-%H%M}.csv"
EXPORT_XLSX_FILE_NAME = "stations-{:%Y%m%d-%H%M}.xlsx"

# A missing value is an en dash, as on the product's pages (read-only methods return it: Django'd say None).
admin.site.empty_value_display = "–"
# The list and the connector inline are wide: give them the page rather than a model sidebar.
admin.site.enable_nav_sidebar = False


def _is_support(request) -> bool:
    return request.user.is_active and request.user.is_superuser


def _specs_of_station():
    return ConnectorSpec.objects.filter(station=OuterRef("pk")).order_by().values("station")


def _power_expression():
    # rules.power_watts in SQL: the maximum power where given, else factor × V × A with the phase factor
    # from rules.computed_power_watts itself, so the SQL cannot drift. Rounded before the cast: SQLite
    # holds 7.45 as a float, and 7.45 × 1000 may be 7449.999….
    factor = Case(
        *(When(power_type=kind, then=Value(rules.computed_power_watts(kind, 1, 1))) for kind in PowerType)
    )
    maximum = Cast(Round(F("max_power") * Value(1000)), IntegerField())
    return Coalesce(maximum, factor * F("voltage") * F("amperage"), output_field=IntegerField())


def annotate_spec_summary(queryset):
    """Stations with ``spec_count`` and ``max_power`` (watts) computed in the query, one subquery each:
    evaluated only for the rows of the page, not for the whole tenant."""
    return queryset.annotate(
        spec_count=Subquery(_specs_of_station().annotate(n=Count("pk")).values("n")[:1]),
        max_power=Subquery(_specs_of_station().annotate(w=Max(_power_expression())).values("w")[:1]),
    )


class ConnectivityFilter(admin.SimpleListFilter):
    title = "Connectivity"
    parameter_name = "connectivity"
    CHOICES = {
        "wifi": ("Wi-Fi only", Q(wifi_supported=True, gsm_supported=False)),
        "gsm": ("GSM only", Q(wifi_supported=False, gsm_supported=True)),
        "both": ("Wi-Fi and GSM", Q(wifi_supported=True, gsm_supported=True)),
    }

    def lookups(self, request, model_admin):
        return [(value, label) for value, (label, _) in self.CHOICES.items()]

    def queryset(self, request, queryset):
        chosen = self.CHOICES.get(self.value())
        return queryset.filter(chosen[1]) if chosen else queryset


class PowerTypeFilter(admin.SimpleListFilter):
    """Stations with at least one specification of the power type (a station has several)."""

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


def line_voltage_specs():
    """The station's specifications that rules.line_voltage_warning warns about, in SQL: three-phase AC
    above the highest phase voltage (the rule's own constant). An EXISTS on the station's few rows."""
    return ConnectorSpec.objects.filter(
        station=OuterRef("pk"), power_type=PowerType.AC_3_PHASE, voltage__gt=rules.HIGHEST_PHASE_VOLTAGE
    )


class LineVoltageFilter(admin.SimpleListFilter):
    """Stations with a specification whose voltage looks like line-to-line voltage (SPEC §4's warning)."""

    title = "Line-voltage warning"
    parameter_name = "line_voltage_warning"
    CHOICES = {"yes": "With a warning", "no": "Without a warning"}

    def lookups(self, request, model_admin):
        return list(self.CHOICES.items())

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(Exists(line_voltage_specs()))
        if self.value() == "no":
            return queryset.exclude(Exists(line_voltage_specs()))
        return queryset


class ImportFilter(admin.SimpleListFilter):
    """The stations an import created or last overrode (the import page links here). Django's related
    filter would list every tenant's records; this one offers the user's latest and looks the chosen one
    up in their scope, so another tenant's import number shows nothing."""

    title = "Import"
    parameter_name = "last_import__id__exact"
    CHOICES_SHOWN = 10

    def lookups(self, request, model_admin):
        records = selectors.import_records_listed_for(request.user).filter(dry_run=False, succeeded=True)
        choices = list(records[: self.CHOICES_SHOWN])
        chosen = self.value()
        if chosen and chosen.isascii() and chosen.isdigit() and all(str(r.pk) != chosen for r in choices):
            choices += list(records.filter(pk=int(chosen)))
        return [(str(record.pk), str(record)) for record in choices]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        # ASCII only: "²" is a digit to isdigit() but not to int().
        if not (self.value().isascii() and self.value().isdigit()):
            return queryset.none()
        visible = selectors.import_records_visible_to(request.user).filter(pk=int(self.value()))
        return queryset.filter(last_import__in=visible.values("pk"))


class ManufacturerFilter(admin.AllValuesFieldListFilter):
    """Django's filter; only its choices come from ``selectors.distinct_values`` (an index skip on
    PostgreSQL, where the stock DISTINCT reads the whole tenant), from the same scoped queryset."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = selectors.distinct_values(model_admin.get_queryset(request), field.name)


class CappedPaginator(Paginator):
    """Counts at most ``CAP`` + 1 rows: a ``COUNT(*)`` over a million stations costs up to a second a page.
    Past the cap the list says "more than 10,000" and offers pages up to the cap (the search narrows)."""

    CAP = 10_000
    CAP_TEXT = f"{CAP:,}"

    @cached_property
    def _counted(self) -> int:
        # No order and no annotations: PostgreSQL stops at the first CAP + 1 matching rows of any index.
        return self.object_list.order_by().values("pk")[: self.CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.CAP)

    @cached_property
    def capped(self) -> bool:
        return self._counted > self.CAP


class TenantFilter(admin.RelatedFieldListFilter):
    """Django's filter, titled as the column is (the field's verbose name is lower case)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "Tenant"


SPEC_FIELDS = ["position", "standard", "format", "power_type", "voltage", "amperage", "max_power"]


class ConnectorSpecInlineForm(forms.ModelForm):
    class Meta:
        model = ConnectorSpec
        fields = SPEC_FIELDS
        field_classes = {"max_power": KilowattField}
        # Text, not type="number": a browser sends nothing for "7,4" there (KilowattField takes both).
        widgets = {"max_power": forms.TextInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Project addition: standards by label (as in the wizard) and the rules' limits on the inputs.
        self.fields["standard"].choices = STANDARD_CHOICES_BY_LABEL
        for name in ("standard", "format", "power_type"):  # the wizard's placeholder, not Django's dashes
            field = self.fields[name]
            field.choices = [("", BLANK_CHOICE_LABEL), *(item for item in field.choices if item[0] != "")]
        self.fields["voltage"].widget.attrs.update({"min": rules.VOLTAGE_MIN, "max": rules.VOLTAGE_MAX})
        self.fields["amperage"].widget.attrs.update({"min": rules.AMPERAGE_MIN, "max": rules.AMPERAGE_MAX})
        # What the row holds before this request changes it: shown again if the change is refused.
        self._saved_values = {name: getattr(self.instance, name) for name in SPEC_FIELDS}

    def full_clean(self):
        super().full_clean()
        if self.errors:
            # Power, warning and the row's title come from the instance: they must not describe values
            # that were just refused, so it goes back to what is saved (blank for a new row).
            for name, value in self._saved_values.items():
                setattr(self.instance, name, value)

    def _get_validation_exclusions(self):
        # The positions are checked as a set (rules.check_positions in the formset): a sibling being moved
        # away from a position in the same save is no conflict, so the per-row database check is skipped.
        # (ModelForm has no public hook for this; the wizard's ConnectorSpecForm relies on the same.)
        exclude = super()._get_validation_exclusions()
        exclude.add("position")
        return exclude


class ConnectorSpecFormSet(SpecCountLimit, forms.BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        # The inline is a table whose column headings are no <label>s: each control names itself.
        row = "new row" if index is None else f"row {index + 1}"
        for field in form.fields.values():
            field.widget.attrs.setdefault("aria-label", f"{field.label} ({row})")

    def clean(self):
        if any(self.errors):
            return
        # The rule of the set (1..N, no gaps, at least one) is the domain's, as in the wizard and the CSV.
        rules.check_positions(form.cleaned_data["position"] for form in filled_forms(self))
        super().clean()

    def save(self, commit=True):
        # Project addition: moved or deleted rows leave their positions first, so a swap breaks no unique.
        if commit and self.instance.pk:
            moving = [
                form.instance.pk
                for form in self.initial_forms
                if form.instance.pk and (form in self.deleted_forms or "position" in form.changed_data)
            ]
            ConnectorSpec.objects.filter(pk__in=moving).update(position=F("position") + _POSITION_SHIFT)
        return super().save(commit=commit)


class ConnectorSpecInlineAdminFormSet(helpers.InlineAdminFormSet):
    """Django's wrapper, with "Add another connector specification" in lower case mid-sentence."""

    @classmethod
    def of(cls, stock):
        """The same formset as ``stock``, Django's, which ``get_inline_formsets`` built."""
        names = ["formset", "fieldsets", "prepopulated_fields", "readonly_fields", "model_admin"]
        names += [f"has_{kind}_permission" for kind in ("add", "change", "delete", "view")]
        return cls(stock.opts, **{name: getattr(stock, name) for name in names})

    def inline_formset_data(self):
        data = json.loads(super().inline_formset_data())
        data["options"]["addText"] = f"Add another {self.opts.verbose_name}"
        return json.dumps(data)


class ConnectorSpecInline(admin.TabularInline):
    model = ConnectorSpec
    form = ConnectorSpecInlineForm
    formset = ConnectorSpecFormSet
    fields = [*SPEC_FIELDS, "power", "warning"]
    readonly_fields = ["power", "warning"]
    min_num = 1
    max_num = rules.MAX_CONNECTOR_SPECS
    verbose_name_plural = "connector specifications (position N is connector ID N)"

    def get_formset(self, request, obj=None, **kwargs):
        # Django's inline passes max_num only: absolute_max and validate_max are the limit's too.
        return super().get_formset(request, obj, **{**SPEC_COUNT_LIMITS, **kwargs})

    def get_extra(self, request, obj=None, **kwargs):
        # One blank row on an inactive station, so that a specification can be added without JavaScript
        # ("Add another" needs it). Django ignores the row unless it is filled in.
        return 1 if obj is not None and not obj.is_active else 0

    @admin.display(description="Power")
    def power(self, spec):
        return spec.power_display or self.get_empty_value_display()

    @admin.display(description="Warning")
    def warning(self, spec):
        warning = spec.line_voltage_warning if spec.pk else None
        return (
            format_html('<span class="line-voltage-warning">⚠ {}</span>', warning.message) if warning else ""
        )


STATION_FIELDS = ["station_id", "security_code", "manufacturer", "article_number", "serial_number"]
ACTIVATION_FIELDS = ["status", "activated_at", "owner", "deactivated_at", "deactivated_by", "previous_owner"]
# Operators see the import record as text; support staff get "import_link" instead (get_fieldsets).
IMPORT_FIELDS = ["import_text", "created_at", "updated_at"]
# The station's version the change page or the delete page was opened at, a hidden input of both forms
# (templates/admin/stations/station/change_form.html and delete_confirmation.html).
VERSION_INPUT = "version"
LINE_VOLTAGE_FLAG_TITLE = (
    f"A three-phase voltage above {rules.HIGHEST_PHASE_VOLTAGE} V looks like line-to-line voltage: "
    "the power shown may be √3 times too high. Open the station to see which specification."
)
CHANGED_MEANWHILE_MESSAGE = (
    "This station was changed by someone else since you opened it, so it was not {done}. "
    "This is its current state: {again} if that is still what you want."
)


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    inlines = [ConnectorSpecInline]
    list_display = [
        "station_id",
        "manufacturer",
        "connectivity",
        "connector_count",
        "maximum_power",
        "status_badge",
        "owner",
        "imported_at",
    ]
    list_filter = [
        "status",
        ConnectivityFilter,
        PowerTypeFilter,
        LineVoltageFilter,
        ("manufacturer", ManufacturerFilter),
        ImportFilter,
    ]
    search_fields = ["station_id", "serial_number", "article_number"]
    search_help_text = "Search by Station ID, serial number or article number."
    list_select_related = ["tenant", "activated_by"]
    list_per_page = 50
    paginator = CappedPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    actions = [
        "delete_selected",
        "export_csv",
        "export_xlsx",
        "print_labels_sheet",
        "print_labels_roll",
        "deactivate",
    ]
    fieldsets = [
        ("Station details", {"fields": STATION_FIELDS}),
        # The Ethernet advice is the Wi-Fi field's own help text, shown under it.
        (
            "Connectivity type",
            {"fields": ["wifi_supported", "gsm_supported"], "description": "At least one."},
        ),
        ("Activation", {"fields": ACTIVATION_FIELDS}),
        ("Import", {"fields": IMPORT_FIELDS}),
    ]
    readonly_fields = [*ACTIVATION_FIELDS, *IMPORT_FIELDS, "tenant", "import_link"]

    def get_action_choices(self, request, default_choices=None):
        return super().get_action_choices(request, default_choices or [("", BLANK_CHOICE_LABEL)])

    def get_queryset(self, request):
        queryset = annotate_spec_summary(selectors.stations_visible_to(request.user))
        return queryset.annotate(has_line_voltage_warning=Exists(line_voltage_specs()))

    # Project addition (SPEC §4 "No lost updates"). Django's change and delete views read the station and
    # write it in one transaction, but without a lock and with no idea what the page showed. These two
    # views are the smallest hook that is early enough: the row is locked and the page's version compared
    # before Django reads the station, builds the form and the inline and validates them, so that a
    # refused post writes nothing (station or specifications) and its input is not shown as if current.
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST" or object_id is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic():
            message = CHANGED_MEANWHILE_MESSAGE.format(done="saved", again="make your changes again")
            if (refused := self._refuse_if_changed(request, object_id, message)) is not None:
                return refused
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        if request.method != "POST":
            return super().delete_view(request, object_id, extra_context)
        with transaction.atomic():
            message = CHANGED_MEANWHILE_MESSAGE.format(done="deleted", again="delete it again")
            if (refused := self._refuse_if_changed(request, object_id, message)) is not None:
                return refused
            return super().delete_view(request, object_id, extra_context)

    def _refuse_if_changed(self, request, object_id, message):
        """Lock the station's row until the transaction ends; if the page was opened at another version
        than the row has now, the answer that refuses the post: its current state, with ``message``.

        None lets the post go on, also when there is no such station for this user (Django's view then
        answers as for any missing station).
        """
        try:
            pk = self.opts.pk.to_python(unquote(object_id))
        except ValidationError:
            return None
        current = (
            selectors.stations_visible_to(request.user)
            .select_for_update()
            .filter(pk=pk)
            .values_list("version", flat=True)
            .first()
        )
        # A post without a version cannot say what it was based on: it is refused as a stale one.
        if current is None or request.POST.get(VERSION_INPUT) == str(current):
            return None
        self.message_user(request, message, messages.ERROR)
        url = reverse("admin:stations_station_change", args=[pk], current_app=self.admin_site.name)
        context = {"preserved_filters": self.get_preserved_filters(request), "opts": self.opts}
        return redirect(add_preserved_filters(context, url))

    def save_model(self, request, obj, form, change):
        # Only what the form edits, and the next version: the fields the page merely shows (status, owner,
        # import, tenant) are never written back. Stations are never added here (has_add_permission).
        edited = [field.name for field in self.opts.concrete_fields if field.name in form.fields]
        obj.version = F("version") + 1
        obj.save(update_fields=[*edited, "updated_at", "version"])
        obj.refresh_from_db(fields=["version"])

    def get_object(self, request, object_id, from_field=None):
        # Django redirects with a message naming the guessed key; a station outside the scope isn't there.
        station = super().get_object(request, object_id, from_field)
        if station is None:
            raise Http404("No station matches the given query.")
        return station

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

    def has_deactivate_permission(self, request):
        return _is_support(request)

    # Project addition: support staff see every tenant's stations, so they get its column and filter.
    def get_list_display(self, request):
        if _is_support(request):
            return [*self.list_display[:-1], "tenant", self.list_display[-1]]
        return self.list_display

    def get_list_filter(self, request):
        return [*self.list_filter, ("tenant", TenantFilter)] if _is_support(request) else self.list_filter

    @admin.display(description="Connectivity")
    def connectivity(self, station):
        kinds = (("Wi-Fi", station.wifi_supported), ("GSM", station.gsm_supported))
        return ", ".join(name for name, supported in kinds if supported)

    @admin.display(description="Connector specs", ordering="spec_count")
    def connector_count(self, station):
        return station.spec_count

    @admin.display(description="Maximum power", ordering="max_power")
    def maximum_power(self, station):
        if not station.max_power:
            return None
        power = rules.format_kw(station.max_power)
        if not getattr(station, "has_line_voltage_warning", False):
            return power
        # Computed from a voltage that looks line-to-line: marked in words, not by colour alone.
        return format_html(
            '{} <span class="line-voltage-flag" title="{}">⚠ line voltage?</span>',
            power,
            LINE_VOLTAGE_FLAG_TITLE,
        )

    @admin.display(description="Status", ordering="status")
    def status_badge(self, station):
        return format_html(
            '<span class="status-badge status-{}">{}</span>', station.status, station.get_status_display()
        )

    @admin.display(description="Owner", ordering="activated_by__username")
    def owner(self, station):
        return station.activated_by.get_username() if station.activated_by else self.get_empty_value_display()

    @admin.display(description="Imported at", ordering="created_at")
    def imported_at(self, station):
        return station.created_at

    def changelist_view(self, request, extra_context=None):
        tenant = selectors.tenant_of(request.user)
        extra_context = {
            "title": f"Stations of {tenant.name}" if tenant else "Stations of every operator",
            **(extra_context or {}),
            "can_import": tenant is not None and request.user.has_perm("stations.add_station"),
            "export_url": reverse("admin:stations_station_export"),
            "export_xlsx_url": reverse("admin:stations_station_export_xlsx"),
        }
        return super().changelist_view(request, extra_context=extra_context)

    def get_fieldsets(self, request, obj=None):
        if not _is_support(request):
            return self.fieldsets
        # Only support staff can open import records (a link); the others see the record as text.
        *head, (name, options) = self.fieldsets
        return [*head, (name, {"fields": ["tenant", "import_link", *options["fields"][1:]]})]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_active:
            # The station identifies itself with these and its owner proved knowing them: frozen now.
            return ["station_id", "security_code", *self.readonly_fields]
        return self.readonly_fields

    @admin.display(description="Import")
    def import_link(self, station):
        if (record := station.last_import) is None:
            return self.get_empty_value_display()
        url = reverse("admin:stations_importrecord_change", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, record)

    @admin.display(description="Import")
    def import_text(self, station):
        if (record := station.last_import) is None:
            return self.get_empty_value_display()
        return format_html('<a href="{}">{}</a>', reverse("stations:import_detail", args=[record.pk]), record)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Project addition: the read-only table of which specification each connector ID gets at activation.
        specs = list(obj.connector_specs.all()) if obj is not None else []
        if specs:
            context["connector_mapping"] = render_to_string(
                "admin/stations/station/connector_mapping.html",
                {"rows": rules.connector_mapping(specs), "count": len(specs)},
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        # Project addition: Django has no hook for the "Add another" text (see the class).
        stock = super().get_inline_formsets(request, formsets, inline_instances, obj)
        return [ConnectorSpecInlineAdminFormSet.of(inline_formset) for inline_formset in stock]

    def get_urls(self):
        # Project addition: "Export all matching" (CSV, Excel), the list's filters and search applied.
        view = self.admin_site.admin_view(self.export_matching_view)
        xlsx_view = self.admin_site.admin_view(self.export_matching_xlsx_view)
        return [
            path("export/", view, name="stations_station_export"),
            path("export.xlsx", xlsx_view, name="stations_station_export_xlsx"),
            *super().get_urls(),
        ]

    @admin.action(permissions=["delete"], description=stock_delete_selected.short_description)
    def delete_selected(self, request, queryset):
        """Django's bulk delete, minus the active stations an operator may not delete, said plainly
        (the stock page speaks of "related objects" and a missing "station" permission).

        The confirmed delete locks the rows first and reads their status under the lock (SPEC §4): a
        station activated meanwhile is left out, an activation or import waiting for a row finds it gone.
        """
        if not request.POST.get("post"):
            return self._delete_selected(request, queryset)
        with transaction.atomic():
            locked = (
                Station.objects.select_for_update()
                .filter(pk__in=queryset.order_by().values("pk"))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            return self._delete_selected(request, queryset.filter(pk__in=list(locked)))

    def _delete_selected(self, request, queryset):
        active = queryset.none() if _is_support(request) else queryset.filter(status=StationStatus.ACTIVE)
        if names := list(active.order_by("station_id").values_list("station_id", flat=True)):
            verb = "is" if len(names) == 1 else "are"
            message = f"{', '.join(names)} {verb} active; only support staff can delete active stations."
            self.message_user(request, message, messages.ERROR)
            queryset = queryset.exclude(status=StationStatus.ACTIVE)
            if not queryset.exists():
                return None
        return stock_delete_selected(self, request, queryset)

    @admin.action(description="Export selected stations as CSV (import format)", permissions=["view"])
    def export_csv(self, request, queryset):
        lines = (line.encode("utf-8") for line in export_lines(queryset))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        name = EXPORT_FILE_NAME.format(timezone.localtime())
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(
        description="Export selected stations as Excel (.xlsx, import format)", permissions=["view"]
    )
    def export_xlsx(self, request, queryset):
        # Written to a temporary file as it goes (XlsxWriter's constant_memory), then streamed from it.
        stations = stations_for_export(queryset).iterator(chunk_size=EXPORT_CHUNK_SIZE)
        name = EXPORT_XLSX_FILE_NAME.format(timezone.localtime())
        response = FileResponse(xlsx.export_file(stations), as_attachment=True, filename=name)
        response["Content-Type"] = xlsx.CONTENT_TYPE
        return response

    def export_matching_view(self, request, export=None):
        """Every station matching the list's current filters and search, as CSV (or ``export``)."""
        if not self.has_view_or_change_permission(request):
            raise Http404
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            # As the list itself does with a filter it cannot apply: back to the list, saying so.
            return redirect(reverse("admin:stations_station_changelist") + "?" + ERROR_FLAG + "=1")
        return (export or self.export_csv)(request, changelist.get_queryset(request))

    def export_matching_xlsx_view(self, request):
        """Every station matching the list's current filters and search, as an Excel workbook."""
        return self.export_matching_view(request, export=self.export_xlsx)

    @admin.action(permissions=["change"], description="Print labels (A4 sheet, 3 × 8)")
    def print_labels_sheet(self, request, queryset):
        return self._print_labels(request, queryset, LabelLayoutChoice.SHEET)

    @admin.action(permissions=["change"], description="Print labels (label printer, 62 × 29 mm)")
    def print_labels_roll(self, request, queryset):
        return self._print_labels(request, queryset, LabelLayoutChoice.ROLL)

    def _print_labels(self, request, queryset, layout: str):
        # The queryset is the overview's, already scoped; the service scopes again and records the print.
        try:
            pdf = services.labels_print(
                user=request.user, stations=queryset, layout=layout, base_url=labels.base_url(request)
            )
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        return labels.pdf_response(pdf, f"station-labels-{layout}.pdf")

    @admin.action(permissions=["deactivate"], description="Deactivate selected stations (support staff)")
    def deactivate(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            # As Django's bulk delete: a page naming what will happen, and a second POST to do it.
            context = {
                **self.admin_site.each_context(request),
                "title": "Deactivate stations?",
                "opts": self.opts,
                "stations": queryset.filter(status=StationStatus.ACTIVE).select_related("activated_by"),
                "skipped": queryset.exclude(status=StationStatus.ACTIVE).count(),
                "queryset": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "media": self.media,
            }
            return TemplateResponse(request, "admin/stations/station/deactivate_confirmation.html", context)
        stations = services.stations_deactivate(user=request.user, queryset=queryset)
        for station in stations:
            owner = station.activated_by.get_username() if station.activated_by else "nobody"
            self.log_change(request, station, f"Deactivated (was active, owned by {owner}).")
        count, skipped = len(stations), queryset.count() - len(stations)
        stations_text = f"{count} station{'' if count == 1 else 's'}"
        message = f"{stations_text} deactivated: they can be overridden by an import again."
        message += f" {skipped} not active, left unchanged." if skipped else ""
        self.message_user(request, message, messages.SUCCESS)


class SupportOnlyAdmin(admin.ModelAdmin):
    """Seen by support staff (superusers) only, whatever permissions an operator was granted (superusers
    pass Django's own checks; the views below turn everyone else away before any other check)."""

    def has_module_permission(self, request):
        return _is_support(request)

    def has_view_permission(self, request, obj=None):
        return _is_support(request)

    # For anyone else the pages do not exist: Django's 403 would say they do (and scoping alone would
    # leave the list and the add page, which fetch no object, at 403).
    def changelist_view(self, request, extra_context=None):
        _require_support(request)
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        _require_support(request)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        _require_support(request)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        _require_support(request)
        return super().history_view(request, object_id, extra_context)


def _require_support(request):
    if not _is_support(request):
        raise Http404


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
    readonly_fields = ["created_at", "error_list"]
    date_hierarchy = "created_at"
    ERRORS_SHOWN = 20

    @admin.display(description="error list")
    def error_list(self, record):
        """The first errors as a table, with the whole list as the CSV the upload page offers."""
        if record.errors_pruned:
            return "Deleted after the retention period (the record keeps the count)."
        if not record.errors:
            return self.get_empty_value_display()
        return render_to_string(
            "admin/stations/importrecord/error_list.html",
            {"record": record, "errors": record.errors[: self.ERRORS_SHOWN]},
        )

    def get_queryset(self, request):
        # The kept file (up to the upload limit) and the plan are not shown here: not read either.
        records = selectors.import_records_visible_to(request.user).select_related("tenant", "user")
        return records.defer("kept_file", "plan")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LabelPrint)
class LabelPrintAdmin(SupportOnlyAdmin):
    """Who printed which labels when (SPEC §8): read-only, like the import records."""

    list_display = ["created_at", "user", "tenant", "layout", "label_count", "import_record"]
    list_filter = ["layout", "tenant"]
    search_fields = ["user__username"]
    list_select_related = ["user", "tenant", "import_record"]
    fields = readonly_fields = [
        "created_at",
        "user",
        "tenant",
        "import_record",
        "layout",
        "label_count",
        "station_ids",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
