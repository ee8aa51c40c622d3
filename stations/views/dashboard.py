from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import render

from ..choices import StationStatus
from ..selectors import stations_visible_to, tenant_of


@login_required
def dashboard(request):
    """The operator's start page: how many stations, and the ways to add more."""
    counts = stations_visible_to(request.user).aggregate(
        inactive=Count("pk", filter=Q(status=StationStatus.INACTIVE)),
        active=Count("pk", filter=Q(status=StationStatus.ACTIVE)),
    )
    return render(
        request,
        "stations/dashboard.html",
        {"counts": counts, "tenant": tenant_of(request.user)},
    )
