"""System checks: the database features the hand-written SQL of ``bulk.py`` needs."""

import sqlite3

from django.conf import settings
from django.core import checks

# INSERT … RETURNING arrived in SQLite 3.35 (UPDATE … FROM in 3.33); Django 5.2 accepts SQLite 3.31.
SQLITE_MIN_VERSION = (3, 35)


@checks.register(checks.Tags.compatibility)
def sqlite_version_check(app_configs=None, sqlite_version=None, **kwargs):
    """An error for every SQLite database when the SQLite library Python uses is older than 3.35.

    Checked without connecting (the library version is the module's), so it runs with every command.
    """
    version = sqlite_version or sqlite3.sqlite_version_info
    if version[:2] >= SQLITE_MIN_VERSION:
        return []
    return [
        checks.Error(
            f"SQLite {'.'.join(map(str, version))} is too old for the station CSV import, which uses "
            "INSERT … RETURNING and UPDATE … FROM.",
            hint=f"Use SQLite {'.'.join(map(str, SQLITE_MIN_VERSION))} or later (database “{alias}”), "
            "or PostgreSQL.",
            obj=alias,
            id="stations.E001",
        )
        for alias, database in settings.DATABASES.items()
        if database["ENGINE"] == "django.db.backends.sqlite3"
    ]
