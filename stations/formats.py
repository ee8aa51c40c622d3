"""One way of writing a moment across the product (admin, dashboard, activation), in local time."""

from django.utils import timezone
from django.utils.formats import date_format

DATETIME_FORMAT = "Y-m-d H:i"


def local_datetime(value) -> str:
    """``2026-11-25 20:11`` in the site's time zone; "–" for no moment."""
    return date_format(timezone.localtime(value), DATETIME_FORMAT) if value else "–"
