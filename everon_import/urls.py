from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from stations.auth_forms import OperatorLoginForm
from stations.views.auth import LogoutView, favicon
from stations.views.dashboard import dashboard

admin.site.site_header = "Station import"
admin.site.site_title = "Station import"
admin.site.index_title = "Station import"

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=OperatorLoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("favicon.ico", favicon, name="favicon"),
    path("stations/", include("stations.urls")),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
]
