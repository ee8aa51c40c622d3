"""The activation form: Station ID and security code, with the model fields' own rules."""

from django import forms

from .models import Station


class StationActivationForm(forms.Form):
    station_id = Station._meta.get_field("station_id").formfield(
        help_text="As printed on the station or its packaging. Capitals and small letters are the same."
    )
    security_code = Station._meta.get_field("security_code").formfield(
        help_text=(
            "Printed beside the Station ID; capitals matter. "
            "It proves the station in front of you is the one you name."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station_id"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "autofocus": True}
        )
