"""Logging out with a message on the page it lands on."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static


class LogoutView(auth_views.LogoutView):
    """Django's LogoutView (POST only), then "You have been logged out." on the login page."""

    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        # The message store lives on the request, not in the flushed session, so the message survives logout.
        if was_logged_in:
            messages.success(request, "You have been logged out.")
        return response


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: point them at the static icon."""
    return redirect(static("stations/favicon.svg"), permanent=True)
