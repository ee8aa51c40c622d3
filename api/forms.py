"""The form of the API tokens page."""

from django import forms

from .models import ApiToken


class ApiTokenCreateForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name"]
        help_texts = {"name": "What the token is for, e.g. “ERP sync” or “CSMS staging”."}
