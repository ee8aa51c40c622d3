"""``prune_imports [--dry-run]``: delete stored import data past its retention (SPEC §5), e.g. daily."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from stations import services


class Command(BaseCommand):
    help = (
        "Delete the error lists stored on import records older than STATION_IMPORT_ERROR_RETENTION_DAYS "
        "and the files kept by checks older than STATION_IMPORT_KEPT_FILE_RETENTION_HOURS (the records "
        "themselves are kept). Run it at least daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only say what would be deleted")

    def handle(self, *args, dry_run, **options):
        pruned = services.import_records_prune(now=timezone.now(), dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        for target, count in pruned.items():
            noun = "import record" if count == 1 else "import records"
            self.stdout.write(f"{verb} the {target} of {count} {noun}.")
