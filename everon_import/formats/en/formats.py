"""One way of writing a moment across the product (admin, dashboard, activation): ``2026-11-25 20:11``.

Django renders every datetime with this in the site's time zone (``{{ value }}``, the admin's columns
and read-only fields, ``formats.localize``); everything else comes from Django's own English locale.
"""

DATETIME_FORMAT = "Y-m-d H:i"
