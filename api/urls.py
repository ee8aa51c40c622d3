"""The API under /api/v1/ (with its schema and docs) and the API tokens page."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import pages, views

app_name = "api"

router = SimpleRouter()
router.register("stations", views.StationViewSet, basename="station")
router.register("imports", views.ImportViewSet, basename="import")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/activations/", views.ActivationView.as_view(), name="activations"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/v1/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html"),
        name="docs",
    ),
    path("account/api-tokens/", pages.tokens, name="tokens"),
    path("account/api-tokens/<int:pk>/revoke/", pages.token_revoke, name="token_revoke"),
]
