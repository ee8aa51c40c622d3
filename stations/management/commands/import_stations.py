"""``import_stations FILE --tenant SLUG [--dry-run]``: the upload page without a browser (SPEC §3)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext

from stations import csv_import, services
from stations.choices import ImportSource
from stations.models import Tenant
from stations.results import CREATE, REFUSED


class Command(BaseCommand):
    help = (
        "Import stations from a semicolon-separated CSV file, an Excel workbook (.xlsx) or a LibreOffice "
        "spreadsheet (.ods; recognised by content) into a tenant, all or nothing. "
        "Exits 0 when imported (or, with --dry-run, when the file would import), 1 otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .csv, .xlsx or .ods file, in the format of the upload page")
        parser.add_argument("--tenant", required=True, help="the slug of the tenant to import into")
        parser.add_argument(
            "--dry-run", action="store_true", help="check only: report what would happen, write nothing"
        )

    def handle(self, *args, file, tenant, dry_run, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(f"There is no tenant with the slug “{tenant}”.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file}.")
        # Refused before reading it, like the page.
        plan = csv_import.size_refusal(path.stat().st_size)
        if plan is None:
            plan = csv_import.parse(path.read_bytes(), tenant=tenant_obj)
        result = services.stations_import(
            tenant=tenant_obj,
            user=None,
            plan=plan,
            source=ImportSource.COMMAND,
            file_name=path.name,
            dry_run=dry_run,
        )
        if plan.encoding_note:
            self.stdout.write(plan.encoding_note)
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        if dry_run:
            # A refused station's errors are listed once, with all the others, below.
            for station in plan.stations:
                self.stdout.write(f"Row {station.rows}: {station.station_id}: {_outcome(station)}")
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"Nothing was imported: {_count(len(result.errors), 'error', 'errors')}"
                + (f" in {_count(plan.row_count, 'row', 'rows')}." if plan.row_count else "."),
                returncode=1,
            )
        if dry_run:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Check only, nothing written: {_count(plan.stations_created, 'station', 'stations')} "
                    f"would be created, {plan.stations_overridden:,} overridden, with "
                    f"{_specs(plan.connector_specs)}."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported: {_count(result.stations_created, 'station', 'stations')} created, "
                    f"{result.stations_overridden:,} overridden, "
                    f"{_specs(result.connector_specs)}."
                )
            )


def _count(count: int, singular: str, plural: str) -> str:
    """``1 row``, ``2 rows``, ``1,000 rows``."""
    return f"{count:,} {ngettext(singular, plural, count)}"


def _specs(count: int) -> str:
    return _count(count, "connector specification", "connector specifications")


def _outcome(station) -> str:
    if station.action == REFUSED:
        return f"would be refused ({_count(len(station.errors), 'error', 'errors')}, listed below)."
    return "would be created." if station.action == CREATE else "would be overridden."
