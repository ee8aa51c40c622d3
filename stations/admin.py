"""The station management overview (SPEC §4). Grown by its own issue; here the models are registered."""

from django.contrib import admin

from .models import ConnectorSpec, Station


class ConnectorSpecInline(admin.TabularInline):
    model = ConnectorSpec
    extra = 0
    ordering = ["position"]


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["station_id", "manufacturer", "status", "created_at"]
    inlines = [ConnectorSpecInline]
