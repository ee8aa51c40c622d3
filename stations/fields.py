"""Model and form fields for whole numbers written with the digits 0–9 (SPEC §1), for every way in."""

from django import forms
from django.db import models

from .validators import validate_ascii_digits


class WholeNumberFormField(forms.IntegerField):
    """Django's integer form field, refusing ``٢٣٠`` before ``int()`` reads it as 230."""

    def to_python(self, value):
        if isinstance(value, str):
            validate_ascii_digits(value)
        return super().to_python(value)


class WholeNumberField(models.PositiveSmallIntegerField):
    """A positive whole number whose forms (the wizard's, the admin's) and ``full_clean`` refuse other
    digits, as the CSV's parser does."""

    def to_python(self, value):
        if isinstance(value, str):
            validate_ascii_digits(value)
        return super().to_python(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WholeNumberFormField, **kwargs})
