from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

from ..choices import StationStatus
from ..selectors import active_stations_visible_to, stations_activated_by, stations_visible_to, tenant_of

RECENTLY_ACTIVATED_COUNT = 5


@login_required
def dashboard(request):
    """The start page: how many stations, which were activated lately and by whom, ways to add more."""
    counts = stations_visible_to(request.user).aggregate(
        inactive=Count("pk", filter=Q(status=StationStatus.INACTIVE)),
        active=Count("pk", filter=Q(status=StationStatus.ACTIVE)),
    )
    return render(
        request,
        "stations/dashboard.html",
        {
            "counts": counts,
            "tenant": tenant_of(request.user),
            "recently_activated": active_stations_visible_to(request.user)[:RECENTLY_ACTIVATED_COUNT],
            "own_stations": stations_activated_by(request.user)[:RECENTLY_ACTIVATED_COUNT],
        },
    )
