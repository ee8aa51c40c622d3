"""Forms of the single-station wizard: ModelForms on ``Station`` and ``ConnectorSpec``, the model's rules.

Nothing here re-states a rule: field validators, ``Model.clean()`` and the constraints (the case-insensitive
unique Station ID included) run through ``ModelForm`` validation; "at least one specification" is
``rules.check_positions``; power and the line-voltage warning are ``ConnectorSpec``'s properties.
A blank connector item is one Django leaves unvalidated: ``filled_forms`` is that test, written once.
"""

from html import escape

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, LayoutObject, Row
from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import TOTAL_FORM_COUNT
from django.forms.utils import flatatt
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from . import rules
from .choices import ConnectorStandard
from .csv_format import parse_decimal
from .models import DUPLICATE_STATION_ID_MESSAGE, ConnectorSpec, Station
from .selectors import station_by_station_id, stations_visible_to

DUPLICATE_CODE = "duplicate_station_id"
BLANK_CHOICE_LABEL = "Choose…"
SPEC_FIELDS = ("standard", "format", "power_type", "voltage", "amperage", "max_power")
# People look for a standard by its name: offered by label, while ConnectorStandard keeps the OCPI order.
STANDARD_CHOICES_BY_LABEL = sorted(ConnectorStandard.choices, key=lambda choice: str(choice[1]).casefold())


def duplicate_station_id_message(user, station_id: str) -> str:
    """The taken-ID message, with a link to the station when the user may see it, and no detail otherwise."""
    station = station_by_station_id(station_id, stations_visible_to(user)) if station_id else None
    if station is None:
        return DUPLICATE_STATION_ID_MESSAGE
    url = reverse("admin:stations_station_change", args=[station.pk])
    return format_html(
        '{} <a href="{}" class="alert-link">Open {} in the management overview</a>.',
        DUPLICATE_STATION_ID_MESSAGE,
        url,
        station.station_id,
    )


def wizard_helper(layout: Layout) -> FormHelper:
    """Crispy helper for a form inside the wizard's own ``<form>``."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = layout
    return helper


class SpecField(Field):
    """A connector item's field in a lean template: the wizard renders up to dozens of items per page, and
    crispy's general field template (nested includes for every case) was the page's main cost."""

    template = "stations/wizard/_spec_field.html"

    def __init__(self, name: str, *, column: str, unit: str = "", control_class: str = "form-control"):
        super().__init__(name)
        self.extra = {
            "column": column,
            "unit": unit,
            "control_class": control_class,
            "invalid_class": f"{control_class} is-invalid",
        }

    def render(self, form, context, template_pack=None, extra_context=None, **kwargs):
        bound = form[self.fields[0]]
        error_id = f"{bound.auto_id}_error"
        # With an error the field is described by its help (if any) and by the error, both read out.
        help_id = bound.field.widget.attrs.get("aria-describedby", "")
        described_by = f"{help_id} {error_id}".strip()
        extra = {**(extra_context or {}), **self.extra, "error_id": error_id, "described_by": described_by}
        return super().render(form, context, template_pack=template_pack, extra_context=extra, **kwargs)


class GridRow(LayoutObject):
    """A Bootstrap ``row`` of columns, without a template of its own (see ``SpecField``)."""

    def __init__(self, *fields):
        self.fields = list(fields)

    def render(self, form, context, template_pack=None, **kwargs):
        return format_html(
            '<div class="row">{}</div>', self.get_rendered_fields(form, context, template_pack)
        )


class FormTemplate(LayoutObject):
    """A template rendered for the form being laid out (crispy's ``HTML`` only sees the page's ``form``)."""

    def __init__(self, template_name: str):
        self.template_name = template_name
        self.fields = []

    def render(self, form, context, template_pack=None, **kwargs):
        return render_to_string(self.template_name, {"form": form})


class StationDetailsForm(forms.ModelForm):
    """Step 1: the station's own fields. Validation is ``Station.full_clean()``, constraints included."""

    class Meta:
        model = Station
        fields = Station.DETAIL_FIELDS
        widgets = {
            "station_id": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "security_code": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "serial_number": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }

    helper = wizard_helper(
        Layout(
            Row(
                Column("station_id", css_class="col-md-6"),
                Column(
                    Field("security_code", template="stations/wizard/_security_code_field.html"),
                    css_class="col-md-6",
                ),
            ),
            Row(Column("manufacturer", css_class="col-md-6"), Column("article_number", css_class="col-md-6")),
            Row(Column("serial_number", css_class="col-md-6")),
            Fieldset("Connectivity type*", "wifi_supported", "gsm_supported", css_class="connectivity"),
        )
    )

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def full_clean(self):
        super().full_clean()
        # The model says "already imported" and nothing more; the user's own station gets a link to it.
        if self.user is not None and self.has_error("station_id", DUPLICATE_CODE):
            station_id = self.data.get(self.add_prefix("station_id"), "").strip()
            message = duplicate_station_id_message(self.user, station_id)
            self._errors["station_id"] = self.error_class(
                [ValidationError(message, code=DUPLICATE_CODE)], renderer=self.renderer
            )


def error_summary(form) -> list[dict]:
    """Every error of a step, linked to its field, for the summary at the top; the first field gets focus."""
    items = getattr(form, "forms", None)
    if items is None:
        found = _form_errors(form, "")
    else:
        found = [
            error
            for number, item in enumerate(items, start=1)
            for error in _form_errors(item, f"Connector ID {number}, ")
        ]
        if form.is_bound:
            found.extend({"message": message} for message in form.non_form_errors())
    first = next((error for error in found if error.get("field") is not None), None)
    if first is not None:
        first["field"].field.widget.attrs["autofocus"] = True
    return found


def _form_errors(form, label_prefix: str) -> list[dict]:
    if not form.is_bound or not form.errors:
        return []
    found = [{"message": message} for message in form.non_field_errors()]
    for name in form.fields:
        for message in form.errors.get(name, []):
            bound = form[name]
            found.append({"field": bound, "label": f"{label_prefix}{bound.label}", "message": message})
    return found


class QuickSelect(forms.Select):
    """A ``<select>`` built in Python: ~40 standards per item, each through Django's option template, were
    most of the connectors step's time (see benchmarks/bench_wizard.py)."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(item) for item in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(str(option))}"{" selected" if str(option) in selected else ""}>'
            f"{escape(str(label))}</option>"
            for option, label in self.choices
        )
        final_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{final_attrs}>{options}</select>')


class QuickNumberInput(forms.NumberInput):
    """``<input type="number">`` built in Python, for the same reason as ``QuickSelect``."""

    def render(self, name, value, attrs=None, renderer=None):
        formatted = self.format_value(value)
        shown = "" if formatted is None else f' value="{escape(str(formatted))}"'
        final_attrs = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<input type="{self.input_type}" name="{escape(name)}"{shown}{final_attrs}>')


class KilowattField(forms.DecimalField):
    """kW with "." or "," before the decimals, as the files take them (``csv_format.parse_decimal``): a
    ``type="number"`` input would silently send nothing for "7,4" in an English browser."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return super().to_python(parse_decimal(str(value).strip()))

    def widget_attrs(self, widget):
        return {"inputmode": "decimal"}


class ConnectorSpecForm(forms.ModelForm):
    """One connector specification, checked by ``ConnectorSpec.full_clean()`` (station, position excluded)."""

    class Meta:
        model = ConnectorSpec
        fields = list(SPEC_FIELDS)
        field_classes = {"max_power": KilowattField}
        widgets = {
            "standard": QuickSelect,
            "format": QuickSelect,
            "power_type": QuickSelect,
            "voltage": QuickNumberInput,
            "amperage": QuickNumberInput,
            "max_power": QuickNumberInput(attrs={"type": "text"}),
        }

    # One helper for every item, as it holds no state of a form: a page builds up to dozens of items, and
    # the overview and Save revalidate them all (see benchmarks/bench_wizard.py).
    helper = wizard_helper(
        Layout(
            GridRow(
                SpecField("standard", column="col-md-6", control_class="form-select"),
                SpecField("format", column="col-sm-6 col-md-3", control_class="form-select"),
                SpecField("power_type", column="col-sm-6 col-md-3", control_class="form-select"),
            ),
            GridRow(
                SpecField("voltage", column="col-sm-6 col-md-3", unit="V"),
                SpecField("amperage", column="col-sm-6 col-md-3", unit="A"),
                SpecField("max_power", column="col-sm-6 col-md-3", unit="kW"),
                FormTemplate("stations/wizard/_connector_power.html"),
            ),
            FormTemplate("stations/wizard/_connector_warning.html"),
        )
    )

    @staticmethod
    def help_texts() -> dict:
        """The model's help for voltage, amperage and maximum power, keyed by the ids the inputs point at."""
        fields = ("voltage", "amperage", "max_power")
        return {f"help-{name}": ConnectorSpec._meta.get_field(name).help_text for name in fields}

    def raw_values(self) -> dict:
        """The values as entered (or as initially given), for storing and re-rendering without validating."""
        if self.is_bound:
            return {name: self.data.get(self.add_prefix(name), "") for name in SPEC_FIELDS}
        return {name: self.initial.get(name, "") for name in SPEC_FIELDS}

    def preview(self) -> ConnectorSpec:
        """An unsaved specification of the entered values: its properties give power and warning."""
        return spec_preview(**self.raw_values())


def _prepare_item_fields(fields: dict) -> None:
    """Done once on the class's fields, which every item copies, rather than again in every item."""
    for name in ("voltage", "amperage", "max_power"):
        # The model's help text is shown once above the list (see ``help_texts``), not in every item.
        fields[name].help_text = ""
        fields[name].widget.attrs.update({"data-spec-field": name, "aria-describedby": f"help-{name}"})
        fields[name].widget.attrs.setdefault("inputmode", "numeric")
    fields["power_type"].widget.attrs["data-spec-field"] = "power_type"
    fields["standard"].choices = STANDARD_CHOICES_BY_LABEL
    for name in ("standard", "format", "power_type"):
        field = fields[name]
        field.choices = [("", BLANK_CHOICE_LABEL), *(item for item in field.choices if item[0] != "")]


_prepare_item_fields(ConnectorSpecForm.base_fields)


def spec_preview(*, power_type="", voltage="", amperage="", max_power="", **other) -> ConnectorSpec:
    """An unsaved ``ConnectorSpec`` from raw values; a number the model field refuses stays unknown, so
    neither power nor warning is shown for it (a refused maximum power: the computed power is shown)."""
    spec = ConnectorSpec(
        power_type=power_type or "",
        voltage=_valid_number("voltage", voltage),
        amperage=_valid_number("amperage", amperage),
        max_power=_valid_max_power(max_power),
        **{name: other.get(name) or "" for name in ("standard", "format")},
    )
    try:
        spec.clean()
    except ValidationError:
        spec.max_power = None
    return spec


def _valid_max_power(value):
    try:
        return ConnectorSpec._meta.get_field("max_power").clean(KilowattField().to_python(value), None)
    except ValidationError:
        return None


def _valid_number(name: str, value) -> int | None:
    try:
        return ConnectorSpec._meta.get_field(name).clean(value, None)
    except ValidationError:
        return None


def filled_forms(formset) -> list[forms.BaseForm]:
    """The items of a validated connector formset that hold a specification, in order.

    The one test of a blank connector item, for the wizard's formset and the admin's inline alike: Django
    leaves an extra form that nobody filled in unvalidated, with empty ``cleaned_data``; a deleted one is
    no item either.
    """
    deleted = formset.deleted_forms
    return [form for form in formset.forms if form.cleaned_data and form not in deleted]


class SpecCountLimit:
    """The domain's limit on specifications, for the wizard's formset and the admin's inline alike.

    With ``absolute_max`` at the limit Django builds no item past it, however many a post announces, and
    says "Please submit at most 64 forms": the posted count is checked by the rule instead, in its words.
    """

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.management_form.is_valid():
            try:
                rules.check_spec_count(self.management_form.cleaned_data[TOTAL_FORM_COUNT])
            except ValidationError as error:
                self._non_form_errors = self.error_class(
                    error.error_list, error_class="nonform", renderer=self.renderer
                )


# The formset factories' keywords for the limit: ``absolute_max`` caps the items built from a post.
SPEC_COUNT_LIMITS = {
    "max_num": rules.MAX_CONNECTOR_SPECS,
    "absolute_max": rules.MAX_CONNECTOR_SPECS,
    "validate_max": True,
}


class BaseConnectorSpecFormSet(SpecCountLimit, forms.BaseFormSet):
    """The ordered connector specifications; item N (1-based) is the specification of connector ID N.

    Every item counts as "extra", so an item left completely blank is ignored rather than an error.
    """

    def initial_form_count(self):
        return 0

    def total_form_count(self):
        if self.is_bound:
            return super().total_form_count()
        return max(len(self.initial or ()), 1)

    def clean(self):
        if any(self.errors):
            return
        filled = filled_forms(self)
        if not filled and self.forms:
            # Nothing entered at all: the first item's required fields say what "a specification" needs.
            first = self.forms[0]
            for name, field in first.fields.items():
                if field.required:
                    first.add_error(name, ValidationError(field.error_messages["required"], code="required"))
        rules.check_positions(range(1, len(filled) + 1))

    @property
    def cleaned_data(self) -> list[dict]:
        """The specifications in order, blank items left out (Django's formset gives ``{}`` for each), so
        that formtools' ``get_cleaned_data_for_step()`` and ``done()`` get what is saved."""
        if not self.is_valid():
            raise AttributeError("an invalid formset has no cleaned_data")
        return [form.cleaned_data for form in filled_forms(self)]

    def raw_items(self) -> list[dict]:
        """Every item's raw values in order, for the add / remove / move actions."""
        if not self.is_bound:
            return [form.raw_values() for form in self.forms]
        # Read straight from the data: building N forms just to read their input is the slow way.
        return [
            {name: self.data.get(f"{self.prefix}-{index}-{name}", "") for name in SPEC_FIELDS}
            for index in range(self.total_form_count())
        ]


ConnectorSpecFormSet = forms.formset_factory(
    ConnectorSpecForm,
    formset=BaseConnectorSpecFormSet,
    extra=0,
    **SPEC_COUNT_LIMITS,
)


def connector_formset_data(prefix: str, items: list[dict]) -> MultiValueDict:
    """The data a browser posts for a connector formset holding ``items`` in this order (formtools' storage
    keeps a ``MultiValueDict`` as it keeps the POST)."""
    data = MultiValueDict()
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(len(items)),
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": str(rules.MAX_CONNECTOR_SPECS),
        }
    )
    data.update(
        {
            f"{prefix}-{index}-{name}": str(item.get(name) or "")
            for index, item in enumerate(items)
            for name in SPEC_FIELDS
        }
    )
    return data


class OverviewForm(forms.Form):
    """Step 3 has nothing to enter: it shows everything and saves."""
