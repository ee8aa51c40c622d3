"""The single-station import wizard (SPEC §2): Station details → Connectors setup → Overview → Save.

A formtools ``SessionWizardView`` keeping raw data per step, with three departures from the stock view:
"Back" and the overview's "Edit" store the current step's input before moving; the connectors step has
add / remove / move actions that are plain submit buttons (no JavaScript needed); and a GET shows where the
wizard is instead of resetting it, so a reload or a second tab loses nothing.

Every page carries the revision of the stored data it was rendered from (``wizard_revision``): a step or Save
posted from a page whose data another tab has changed since is refused, showing what is stored now.
"Start over" asks for confirmation on a page of its own.
"""

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, SuspiciousOperation, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import SessionWizardView

from .. import services
from ..forms import (
    DUPLICATE_CODE,
    ConnectorSpecForm,
    ConnectorSpecFormSet,
    OverviewForm,
    StationDetailsForm,
    connector_formset_data,
    duplicate_station_id_message,
    spec_preview,
)
from ..models import ConnectorSpec
from ..selectors import tenant_of
from . import NO_TENANT_MESSAGE

DETAILS, CONNECTORS, OVERVIEW = "details", "connectors", "overview"
STEP_TITLES = {DETAILS: "Station details", CONNECTORS: "Connectors setup", OVERVIEW: "Overview"}
SUCCESS_MESSAGE = "Station {station_id} imported. It is ready to be activated."
STALE_MESSAGE = "This import was changed in another tab or window: check the overview again."
GONE_MESSAGE = "This import was already saved or started over."
RESTARTED_MESSAGE = "Started over: everything entered for the previous station was discarded."
REVISION_FIELD = "wizard_revision"


def _storable(data: dict) -> dict:
    """Data in the shape formtools' storage keeps (value lists, like a QueryDict's)."""
    return {key: value if isinstance(value, list) else [value] for key, value in data.items()}


class StationImportWizardView(LoginRequiredMixin, PermissionRequiredMixin, SessionWizardView):
    permission_required = "stations.add_station"
    form_list = [(DETAILS, StationDetailsForm), (CONNECTORS, ConnectorSpecFormSet), (OVERVIEW, OverviewForm)]

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and tenant_of(request.user) is None:
            raise PermissionDenied(NO_TENANT_MESSAGE)
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self):
        return [f"stations/wizard/{self.steps.current}.html"]

    def get_form_kwargs(self, step=None):
        return {"user": self.request.user} if step == DETAILS else {}

    # -- navigation ---------------------------------------------------------------------------------------

    def get(self, request, *args, **kwargs):
        """Show the step the wizard is at, with what was entered: a reload or second tab resets nothing."""
        step = self.storage.current_step
        if step not in self.get_form_list():
            step = self.steps.first
        self.storage.current_step = step
        return self.render(self.stored_form(step))

    def post(self, *args, **kwargs):
        management = ManagementForm(self.request.POST, prefix=self.prefix)
        if not management.is_valid() or management.cleaned_data["current_step"] not in self.get_form_list():
            raise SuspiciousOperation("ManagementForm data is missing or has been tampered.")
        posted_step = management.cleaned_data["current_step"]
        action = self.request.POST.get("wizard_action", "")
        if action == "restart-confirm":
            self.storage.reset()
            messages.info(self.request, RESTARTED_MESSAGE)
            return redirect(self.request.path)
        stored_nothing = not self.storage.data[self.storage.step_data_key]
        if stored_nothing and posted_step != self.steps.first:
            # Saved, or started over, in this tab (a double click) or another one: nothing left to continue.
            messages.info(self.request, GONE_MESSAGE)
            return redirect(self.request.path)
        posted_revision = self.request.POST.get(REVISION_FIELD)
        # Nothing stored, nothing to overwrite: first-step input is taken whatever the page's revision. A page
        # without the field (a scripted client) is not checked either: the check guards against other tabs.
        if not stored_nothing and posted_revision is not None and posted_revision != self.revision():
            return self.render_stale()
        # The page submitted says where it is (Back in another tab may have moved the wizard meanwhile).
        self.storage.current_step = posted_step
        if action == "restart":
            return self.render_restart_confirmation()
        if action and self.steps.current == CONNECTORS:
            return self.render_connectors_action(action)
        return super().post(*args, **kwargs)

    def render_goto_step(self, goto_step, **kwargs):
        """Store the current step's input as entered (valid or not), then show ``goto_step``."""
        current = self.steps.current
        form = self.get_form(current, data=self.request.POST, files=self.request.FILES)
        self.storage.set_step_data(current, self.get_form_step_data(form))
        if self.get_step_index(goto_step) > self.get_step_index(current):
            # Forward only through "Next", which validates; a forged jump just shows the step again.
            return self.render(form, **kwargs)
        self.storage.current_step = goto_step
        return self.render(self.stored_form(goto_step), **kwargs)

    def revision(self) -> str:
        """A fingerprint of the stored input (each step's own fields): it changes whenever the data does."""
        stored = self.storage.data[self.storage.step_data_key]
        fields = {
            step: {key: value for key, value in (data or {}).items() if key.startswith(f"{step}-")}
            for step, data in stored.items()
        }
        fields = {step: values for step, values in fields.items() if values}  # the overview has no fields
        encoded = json.dumps(fields, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()[:20]

    def render_stale(self):
        """Another tab changed the data this page was made from: show what is stored now, nothing saved."""
        messages.warning(self.request, STALE_MESSAGE)
        for step in self.get_form_list():
            form = self.stored_form(step)
            if step != OVERVIEW and not form.is_valid():
                # Not complete yet (the other tab is still at it): show where the stored data stops.
                self.storage.current_step = step
                return self.render(form)
        self.storage.current_step = OVERVIEW
        return self.render(self.stored_form(OVERVIEW))

    def render_restart_confirmation(self):
        """Start over only after a second click: the page's input is kept in case the answer is no."""
        current = self.steps.current
        if current != OVERVIEW:
            form = self.get_form(current, data=self.request.POST, files=self.request.FILES)
            self.storage.set_step_data(current, self.get_form_step_data(form))
        context = self.get_context_data(form=self.stored_form(current))
        context["station_id"] = (self.storage.get_step_data(DETAILS) or {}).get(f"{DETAILS}-station_id", "")
        return TemplateResponse(self.request, "stations/wizard/start_over.html", context)

    def stored_form(self, step):
        data, files = self.storage.get_step_data(step), self.storage.get_step_files(step)
        return self.get_form(step, data=data, files=files)

    def process_step(self, form):
        if self.steps.current == CONNECTORS:
            # Blank items are dropped once the step is done, so the numbering shown is the one saved.
            items = [raw for raw in form.raw_items() if any(str(value).strip() for value in raw.values())]
            return _storable(connector_formset_data(form.prefix, items))
        return super().process_step(form)

    # -- connectors: add, remove, move, without JavaScript ----------------------------------------------

    def render_connectors_action(self, action):
        formset = self.get_form(CONNECTORS, data=self.request.POST)
        items = formset.raw_items()
        name, _, number = action.partition("-")
        index = int(number) if number.isdecimal() else -1
        focus = None
        if name == "add":
            items.append({})
            focus = ("item", len(items) - 1)
        elif name == "remove" and 0 <= index < len(items):
            del items[index]
            focus = ("item", min(index, len(items) - 1)) if items else ("add", None)
        elif name == "up" and 0 < index < len(items):
            items[index - 1], items[index] = items[index], items[index - 1]
            # At the top "Move up" is disabled: keep focus on the item's enabled sibling, not the page.
            focus = ("up", index - 1) if index - 1 > 0 else ("down", index - 1)
        elif name == "down" and 0 <= index < len(items) - 1:
            items[index + 1], items[index] = items[index], items[index + 1]
            focus = ("down", index + 1) if index + 1 < len(items) - 1 else ("up", index + 1)
        self.storage.set_step_data(CONNECTORS, _storable(connector_formset_data(formset.prefix, items)))
        # Shown unbound: rearranging is not a submission, so no "required" errors on a fresh item.
        return self.render(ConnectorSpecFormSet(prefix=formset.prefix, initial=items), focus=focus)

    # -- save --------------------------------------------------------------------------------------------

    def render_done(self, form, **kwargs):
        """Re-validate every step; a Station ID taken meanwhile is left to the service, which refuses it."""
        final = {}
        for step in self.get_form_list():
            step_form = self.stored_form(step)
            if not step_form.is_valid() and not (step == DETAILS and step_form.only_station_id_taken()):
                return self.render_revalidation_failure(step, step_form, **kwargs)
            final[step] = step_form
        return self.done(list(final.values()), form_dict=final, **kwargs)

    def done(self, form_list, form_dict, **kwargs):
        details = form_dict[DETAILS]
        station_data = details.station_data()
        try:
            station = services.station_import(
                tenant=tenant_of(self.request.user),
                user=self.request.user,
                station_data=station_data,
                specs=form_dict[CONNECTORS].specs(),
            )
        except ValidationError as error:
            return self.render(OverviewForm(), save_errors=self.save_error_messages(error, station_data))
        self.storage.reset()
        messages.success(self.request, SUCCESS_MESSAGE.format(station_id=station.station_id))
        return redirect("admin:stations_station_change", station.pk)

    def save_error_messages(self, error: ValidationError, station_data) -> list[str]:
        found = []
        by_field = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
        for errors in by_field.values():
            for item in errors:
                if item.code == DUPLICATE_CODE:
                    found.append(duplicate_station_id_message(self.request.user, station_data["station_id"]))
                else:
                    found.append(" ".join(item.messages))
        return found

    # -- rendering ---------------------------------------------------------------------------------------

    def get_context_data(self, form, focus=None, save_errors=(), **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        context.update(
            revision=self.revision(),
            step_title=STEP_TITLES[step],
            step_list=[
                {"name": name, "title": STEP_TITLES[name], "number": number}
                for number, name in enumerate(self.get_form_list(), start=1)
            ],
        )
        if step == OVERVIEW:
            context.update(self.overview_context())
            context["error_summary"] = [{"message": message} for message in save_errors]
            return context
        context["error_summary"] = error_summary(form)
        if step == CONNECTORS:
            context.update(self.connectors_context(form, focus))
        return context

    def connectors_context(self, formset, focus):
        items = [
            {"index": index, "number": index + 1, "form": item, "spec": item.preview()}
            for index, item in enumerate(formset.forms)
        ]
        if focus and focus[0] == "item":
            items[focus[1]]["form"].fields["standard"].widget.attrs["autofocus"] = True
        return {"items": items, "focus": focus, "help_texts": ConnectorSpecForm.help_texts()}

    def overview_context(self):
        details = self.stored_form(DETAILS)
        connectors = self.stored_form(CONNECTORS)
        specs = [spec_preview(**raw) for raw in connectors.raw_items() if any(raw.values())]
        for position, spec in enumerate(specs, start=1):
            spec.position = position
        return {
            "details": details,
            "station_rows": [
                (details[name].label, _display(details[name].value()))
                for name in ("station_id", "security_code", "manufacturer", "article_number", "serial_number")
            ],
            "connectivity": _connectivity(details),
            "specs": specs,
            "warnings": [spec for spec in specs if spec.line_voltage_warning],
        }


def _display(value) -> str:
    return str(value).strip() if value not in (None, "") else ""


def _connectivity(details) -> str:
    names = [details[name].label for name in ("wifi_supported", "gsm_supported") if details[name].value()]
    return " and ".join(names)


def error_summary(form) -> list[dict]:
    """Every error of a step, linked to its field, for the summary at the top; the first field gets focus."""
    found = []
    forms = getattr(form, "forms", None)
    if forms is None:
        found.extend(_form_errors(form, ""))
    else:
        for number, item in enumerate(forms, start=1):
            found.extend(_form_errors(item, f"Connector ID {number}, "))
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


@login_required
@permission_required("stations.add_station", raise_exception=True)
def connector_preview(request):
    """Power and line-voltage warning for the values typed so far (wizard.js asks; it never computes)."""
    spec: ConnectorSpec = spec_preview(
        power_type=request.GET.get("power_type", ""),
        voltage=request.GET.get("voltage", ""),
        amperage=request.GET.get("amperage", ""),
    )
    warning = spec.line_voltage_warning
    return JsonResponse({"power": spec.power_display, "warning": warning.message if warning else ""})
