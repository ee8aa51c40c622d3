"""``import_stations FILE --tenant SLUG [--dry-run]``: the CSV upload without a browser (SPEC §3)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from stations import csv_import, services
from stations.choices import ImportSource
from stations.models import Tenant


class Command(BaseCommand):
    help = (
        "Import stations from a semicolon-separated CSV file into a tenant, all or nothing. "
        "Exits 0 when imported (or, with --dry-run, when the file would import), 1 otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file, in the format of the upload page")
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
            for station in plan.stations:
                self.stdout.write(f"Row {station.rows}: {station.station_id}: {_outcome(station)}")
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"Nothing was imported: {_errors(len(result.errors))}"
                + (f" in {plan.row_count:,} rows." if plan.row_count else "."),
                returncode=1,
            )
        if dry_run:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Check only, nothing written: {_stations(plan.stations_created)} would be created, "
                    f"{plan.stations_overridden:,} overridden, with {plan.connector_specs:,} connector "
                    "specifications."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported: {_stations(result.stations_created)} created, {result.stations_overridden:,} "
                    f"overridden, {result.connector_specs:,} connector specifications."
                )
            )


def _stations(count: int) -> str:
    return f"{count:,} station" + ("" if count == 1 else "s")


def _errors(count: int) -> str:
    return f"{count:,} error" + ("" if count == 1 else "s")


def _outcome(station) -> str:
    if station.action == csv_import.REFUSED:
        return f"would be refused: {'; '.join(error.message for error in station.errors)}"
    return "would be created." if station.action == csv_import.CREATE else "would be overridden."
