"""The answer to a locked-out sign-in (django-axes' ``AXES_LOCKOUT_CALLABLE``): the product's page, saying
how long to wait."""

import math

from axes.helpers import get_cool_off, get_failure_limit
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    """429 with the wait in whole minutes (rounded up), on the product's login and the admin's alike."""
    cool_off = get_cool_off(request)
    return render(
        request,
        "registration/lockout.html",
        {
            "failure_limit": get_failure_limit(request, credentials),
            "cooloff_minutes": math.ceil(cool_off.total_seconds() / 60),
        },
        status=429,
    )
