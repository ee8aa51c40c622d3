"""The login form: Django's own, with messages that say which field is missing."""

from django.contrib.auth.forms import AuthenticationForm


class OperatorLoginForm(AuthenticationForm):
    """An empty field says what to enter; "didn't match" is kept for a wrong username or password."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username."
        self.fields["password"].error_messages["required"] = "Enter your password."
