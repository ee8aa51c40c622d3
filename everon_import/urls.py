from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from stations.views.dashboard import dashboard

admin.site.site_header = "Station management"
admin.site.site_title = "Station management"
admin.site.index_title = "Station management overview"

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("stations/", include("stations.urls")),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
]
