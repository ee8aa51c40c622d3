"""Labels in the station management overview: the two "Print labels" actions and the print records.

The actions are plain functions for ``StationAdmin.actions``; the records are for support staff only
(superusers), read-only, and a 404 for everyone else, like the import records.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404

from . import labels, services
from .formats import local_datetime
from .models import LabelLayoutChoice, LabelPrint
from .views.labels import labels_response


def _print(modeladmin, request, queryset, layout: str):
    # The queryset comes from the overview, already scoped; the service scopes again and records the print.
    try:
        pdf = services.labels_print(
            user=request.user, stations=queryset, layout=layout, base_url=labels.base_url(request)
        )
    except ValidationError as error:
        modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
        return None
    return labels_response(pdf, f"station-labels-{layout}.pdf")


@admin.action(permissions=["change"], description="Print labels (A4 sheet, 3 × 8)")
def print_labels_sheet(modeladmin, request, queryset):
    return _print(modeladmin, request, queryset, LabelLayoutChoice.SHEET)


@admin.action(permissions=["change"], description="Print labels (label printer, 62 × 29 mm)")
def print_labels_roll(modeladmin, request, queryset):
    return _print(modeladmin, request, queryset, LabelLayoutChoice.ROLL)


def _is_support(request) -> bool:
    return request.user.is_active and request.user.is_superuser


@admin.register(LabelPrint)
class LabelPrintAdmin(admin.ModelAdmin):
    """Who printed which labels when: support staff read, nobody writes (prints record themselves)."""

    list_display = ["printed_at", "user", "tenant", "layout", "label_count", "import_record"]
    list_filter = ["layout", "tenant"]
    search_fields = ["user__username"]
    list_select_related = ["user", "tenant", "import_record"]
    readonly_fields = [
        "printed_at",
        "user",
        "tenant",
        "import_record",
        "layout",
        "label_count",
        "station_ids",
    ]
    fields = readonly_fields

    @admin.display(description="printed at", ordering="created_at")
    def printed_at(self, obj):
        return local_datetime(obj.created_at)

    def has_module_permission(self, request):
        return _is_support(request)

    def has_view_permission(self, request, obj=None):
        return _is_support(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not _is_support(request):
            raise Http404
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if not _is_support(request):
            raise Http404
        return super().changeform_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        if not _is_support(request):
            raise Http404
        return super().history_view(request, object_id, extra_context)
