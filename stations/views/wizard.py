"""The single-station import wizard (SPEC §2): Station details → Connectors setup → Overview → Save.

A formtools ``SessionWizardView`` used as formtools means it: raw data per step in the session, the overview
built from ``get_cleaned_data_for_step()``, every step revalidated by ``render_done()`` before ``done()``
saves, a step that fails (a Station ID taken meanwhile) sent back by ``render_revalidation_failure()``.
The project's additions, each marked "Project:" below: Back and Edit store the current step's input first;
add / remove / move are submit buttons; a GET shows where the wizard is (formtools starts over); a page
from a tab whose data another tab has changed since is refused (``wizard_revision``); "Start over" asks
first; the overview is only shown for steps that validate; a Save the database refuses keeps the data; a
second Save of data already saved (a double click, racing or not) says so and links to the station; more
than ``rules.MAX_CONNECTOR_SPECS`` items are refused before an action reads them; Generate fills in a security
code (a submit button); Next after an Edit from the overview returns to the overview.
"""

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.forms.formsets import TOTAL_FORM_COUNT
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import SessionWizardView

from .. import rules, services
from ..choices import ImportSource
from ..forms import (
    DUPLICATE_CODE,
    SPEC_FIELDS,
    ConnectorSpecForm,
    ConnectorSpecFormSet,
    OverviewForm,
    StationDetailsForm,
    connector_formset_data,
    error_summary,
    spec_preview,
)
from ..models import ConnectorSpec
from ..selectors import station_by_station_id, stations_visible_to, tenant_of
from . import TenantRequiredMixin

DETAILS, CONNECTORS, OVERVIEW = "details", "connectors", "overview"
STEP_TITLES = {DETAILS: "Station details", CONNECTORS: "Connectors setup", OVERVIEW: "Overview"}
OVERVIEW_FIELDS = ("station_id", "security_code", "manufacturer", "article_number", "serial_number")
SUCCESS_MESSAGE = "Station {station_id} imported. It is ready to be activated."
SAVED_MESSAGE_TAG = "station-saved"
STALE_MESSAGE = "This import was changed in another tab or window: check the overview again."
GONE_MESSAGE = "This import was already saved or started over."
RESTARTED_MESSAGE = "Started over: everything entered for the previous station was discarded."
REVISION_FIELD = "wizard_revision"
ALREADY_SAVED_MESSAGE = (
    "Station {station_id} was already saved (Save was sent twice, or from another tab): {link}."
)
# The session key remembering the last station this wizard saved, and the revision its data had.
SAVED_KEY = "stations_wizard_saved"
# The wizard storage's extra data: set while a step reached through the overview's Edit is being corrected.
RETURN_TO_OVERVIEW = "return_to_overview"
GENERATE_CODE_BUTTON = "generate_code"


class StationImportWizardView(
    TenantRequiredMixin, LoginRequiredMixin, PermissionRequiredMixin, SessionWizardView
):
    permission_required = "stations.add_station"
    form_list = [(DETAILS, StationDetailsForm), (CONNECTORS, ConnectorSpecFormSet), (OVERVIEW, OverviewForm)]

    def get_template_names(self):
        return [f"stations/wizard/{self.steps.current}.html"]

    def get_form_kwargs(self, step=None):
        return {"user": self.request.user} if step == DETAILS else {}

    def get_form_step_data(self, form):
        # Only the step's own fields: buttons and tokens are no input, and would change the revision.
        return {key: values for key, values in form.data.lists() if key.startswith(f"{form.prefix}-")}

    def process_step(self, form):
        # Blank connector items are dropped once the step is done: the numbering shown is the one saved.
        if self.steps.current == CONNECTORS:
            return connector_formset_data(form.prefix, form.cleaned_data)
        return super().process_step(form)

    def stored_form(self, step):
        data, files = self.storage.get_step_data(step), self.storage.get_step_files(step)
        return self.get_form(step, data=data, files=files)

    def get(self, request, *args, **kwargs):
        # Project: show the step the wizard is at, with its data; a reload or a second tab resets nothing.
        if self.storage.current_step not in self.get_form_list():
            self.storage.current_step = self.steps.first
        return self.render(self.stored_form(self.steps.current))

    def post(self, *args, **kwargs):
        # Project: the ManagementForm checked first (formtools checks it after Back), as the actions below
        # need the step the page was at; formtools' post() then finds it valid.
        management = ManagementForm(self.request.POST, prefix=self.prefix)
        if not management.is_valid() or management.cleaned_data["current_step"] not in self.get_form_list():
            raise SuspiciousOperation("ManagementForm data is missing or has been tampered.")
        posted_step = management.cleaned_data["current_step"]
        action = self.request.POST.get("wizard_action", "")
        if action == "restart-confirm":
            self.storage.reset()
            messages.info(self.request, RESTARTED_MESSAGE)
            return redirect(self.request.path)
        # Project: a page from another tab. Nothing stored: saved or started over since (or a double click).
        stored_nothing = not self.storage.data[self.storage.step_data_key]
        posted_revision = self.request.POST.get(REVISION_FIELD)
        if stored_nothing and posted_step != self.steps.first:
            saved = self.saved_with_revision(posted_revision)
            if saved is not None:
                return self.render_already_saved(saved)
            messages.info(self.request, GONE_MESSAGE)
            return redirect(self.request.path)
        # Data changed since the page was made: show what is stored now. First-step input overwrites nothing,
        # and a client that sends no revision (a script) is not checked.
        if not stored_nothing and posted_revision not in (None, self.revision()):
            messages.warning(self.request, STALE_MESSAGE)
            self.storage.current_step = OVERVIEW
            return self.render(self.stored_form(OVERVIEW))
        self.storage.current_step = posted_step  # Back in another tab may have moved the wizard meanwhile
        if action == "restart":
            return self.render_restart_confirmation()
        if action and posted_step == CONNECTORS:
            return self.render_connectors_action(action)
        if GENERATE_CODE_BUTTON in self.request.POST and posted_step == DETAILS:
            return self.render_generated_code()
        return super().post(*args, **kwargs)

    def store_current_input(self):
        """Store the page's input as entered, valid or not, and return its form."""
        form = self.get_form(data=self.request.POST, files=self.request.FILES)
        self.storage.set_step_data(self.steps.current, self.get_form_step_data(form))
        return form

    def render_goto_step(self, goto_step, **kwargs):
        # Project: Back and Edit store the current step's input first (formtools drops it).
        form = self.store_current_input()
        if self.get_step_index(goto_step) > self.get_step_index():
            return self.render(form, **kwargs)  # forward only through Next, which validates
        # Project: a step opened by the overview's Edit returns there on Next; Back from a step forgets it.
        self.storage.extra_data[RETURN_TO_OVERVIEW] = self.steps.current == OVERVIEW
        return super().render_goto_step(goto_step, **kwargs)

    def render_next_step(self, form, **kwargs):
        if self.storage.extra_data.pop(RETURN_TO_OVERVIEW, False):
            self.storage.current_step = OVERVIEW
            return self.render(self.stored_form(OVERVIEW), **kwargs)
        return super().render_next_step(form, **kwargs)

    def revision(self) -> str:
        """A fingerprint of the stored input: it changes whenever the data does, and only then."""
        stored = {step: data for step, data in self.storage.data[self.storage.step_data_key].items() if data}
        return hashlib.sha256(json.dumps(stored, sort_keys=True).encode()).hexdigest()[:20]

    def render_restart_confirmation(self):
        # Project: start over only after a second click; the page's input is kept in case the answer is no.
        context = super().get_context_data(form=self.store_current_input())
        context["station_id"] = (self.storage.get_step_data(DETAILS) or {}).get(f"{DETAILS}-station_id", "")
        return TemplateResponse(self.request, "stations/wizard/start_over.html", context)

    def render_generated_code(self):
        # Project: Generate without JavaScript. The step's input is kept with a fresh code and shown unbound,
        # as a connector action is: no submission, so no "required" errors for fields not filled in yet.
        data = self.request.POST.copy()
        form = self.get_form(data=data)
        data[form.add_prefix("security_code")] = rules.generate_security_code()
        self.storage.set_step_data(DETAILS, self.get_form_step_data(form))
        entered = {name: form[name].data for name in form.fields}
        fresh = self.get_form(data=None)
        fresh.initial = entered
        fresh.fields["security_code"].widget.attrs["autofocus"] = True
        return self.render(fresh)

    def render_connectors_action(self, action):
        # Project: add, remove and move are submit buttons, so the step works without JavaScript.
        posted = self.get_form(data=self.request.POST)
        management = posted.management_form
        if management.is_valid() and management.cleaned_data[TOTAL_FORM_COUNT] > rules.MAX_CONNECTOR_SPECS:
            # More items than a station may have: refused as a whole, by the formset's own error (Django
            # builds no item past the limit), before any action reads them.
            return self.render(posted)
        items = posted.raw_items()
        name, _, number = action.partition("-")
        index = int(number) if number.isdecimal() else -1
        focus = None
        if name == "add":
            try:
                rules.check_spec_count(len(items) + 1)
            except ValidationError as error:
                messages.error(self.request, error.messages[0])
            else:
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
        prefix = self.get_form_prefix(CONNECTORS)
        self.storage.set_step_data(CONNECTORS, connector_formset_data(prefix, items))
        # Shown unbound: rearranging is not a submission, so no "required" errors on a fresh item.
        return self.render(ConnectorSpecFormSet(prefix=prefix, initial=items), focus=focus)

    def render(self, form=None, **kwargs):
        # Project: the overview shows cleaned data only; a step that no longer validates (a Station ID taken
        # meanwhile, another tab half-way) is shown instead, as formtools shows a revalidation failure.
        if self.steps.current == OVERVIEW:
            for step in (DETAILS, CONNECTORS):
                if self.get_cleaned_data_for_step(step) is None:
                    return self.render_revalidation_failure(step, self.stored_form(step), **kwargs)
        return super().render(form, **kwargs)

    def render_revalidation_failure(self, step, form, **kwargs):
        # Project: the Station ID taken by this very data (the twin of a double Save that won the race) is no
        # failure: the station is saved, and the wizard says so instead of showing itself still open.
        if step == DETAILS and form.has_error("station_id", DUPLICATE_CODE):
            twin = self.saved_twin(form)
            if twin is not None:
                return self.render_already_saved(twin)
        return super().render_revalidation_failure(step, form, **kwargs)

    def saved_twin(self, details_form):
        """The station this user's wizard already saved from the stored data, or None."""
        station_id = details_form.data.get(details_form.add_prefix("station_id"), "").strip()
        station = station_by_station_id(station_id, stations_visible_to(self.request.user))
        record = station.last_import if station is not None else None
        if record is None or record.user_id != self.request.user.pk or record.source != ImportSource.WIZARD:
            return None
        details = details_form.cleaned_data
        if any(getattr(station, name) != value for name, value in details.items() if name != "station_id"):
            return None
        specs = self.get_cleaned_data_for_step(CONNECTORS)
        saved_specs = list(station.connector_specs.order_by("position").values(*SPEC_FIELDS))
        return station if specs == saved_specs else None

    def saved_with_revision(self, revision):
        """The station the last Save of this session created, if the posted page showed that same data."""
        saved = self.request.session.get(SAVED_KEY)
        if not saved or not revision or saved["revision"] != revision:
            return None
        return stations_visible_to(self.request.user).filter(pk=saved["pk"]).first()

    def render_already_saved(self, station):
        self.storage.reset()
        link = format_html(
            '<a href="{}">open it</a>', reverse("admin:stations_station_change", args=[station.pk])
        )
        messages.info(
            self.request, format_html(ALREADY_SAVED_MESSAGE, station_id=station.station_id, link=link)
        )
        # The wizard starts afresh, as after any Save; the message leads to the station.
        return redirect(self.request.path)

    def render_done(self, form, **kwargs):
        # Project: formtools resets the storage after done() whatever it returns; a Save the database refused
        # (the Station ID taken between the revalidation and the insert) keeps the data, on the details step.
        try:
            return super().render_done(form, **kwargs)
        except ValidationError:
            return self.render_revalidation_failure(DETAILS, self.stored_form(DETAILS), **kwargs)

    def done(self, form_list, form_dict, **kwargs):
        station = services.station_import(
            tenant=tenant_of(self.request.user),
            user=self.request.user,
            station_data=form_dict[DETAILS].cleaned_data,
            specs=form_dict[CONNECTORS].cleaned_data,
        )
        self.request.session[SAVED_KEY] = {"revision": self.revision(), "pk": station.pk}
        # The tag has the station page (admin/base_site.html) offer the next import (SPEC §7).
        messages.success(
            self.request, SUCCESS_MESSAGE.format(station_id=station.station_id), extra_tags=SAVED_MESSAGE_TAG
        )
        return redirect("admin:stations_station_change", station.pk)

    def get_context_data(self, form, focus=None, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        context.update(
            revision=self.revision(),
            step_title=STEP_TITLES[step],
            step_titles=STEP_TITLES.values(),
            error_summary=error_summary(form),
        )
        if step == CONNECTORS:
            if focus and focus[0] == "item":
                form.forms[focus[1]].fields["standard"].widget.attrs["autofocus"] = True
            context.update(focus=focus, help_texts=ConnectorSpecForm.help_texts())
        elif step == OVERVIEW:
            context.update(self.overview_context())
        return context

    def overview_context(self):
        details = self.get_cleaned_data_for_step(DETAILS)
        specs = [
            ConnectorSpec(position=position, **values)
            for position, values in enumerate(self.get_cleaned_data_for_step(CONNECTORS), start=1)
        ]
        labels = {name: field.label for name, field in StationDetailsForm.base_fields.items()}
        return {
            "station_rows": [(labels[name], details[name]) for name in OVERVIEW_FIELDS],
            "connectivity": " and ".join(
                labels[name] for name in ("wifi_supported", "gsm_supported") if details[name]
            ),
            "specs": specs,
            "warnings": [spec for spec in specs if spec.line_voltage_warning],
        }


@require_GET
@never_cache
@login_required
@permission_required("stations.add_station", raise_exception=True)
def generate_code(request):
    """A fresh security code for the wizard's Generate (wizard.js asks; the rule lives in ``rules``)."""
    return JsonResponse({"code": rules.generate_security_code()})


@login_required
@permission_required("stations.add_station", raise_exception=True)
def connector_preview(request):
    """Power and line-voltage warning for the values typed so far (wizard.js asks; it never computes)."""
    names = ("power_type", "voltage", "amperage", "max_power")
    spec = spec_preview(**{name: request.GET.get(name, "") for name in names})
    warning = spec.line_voltage_warning
    return JsonResponse({"power": spec.power_display, "warning": warning.message if warning else ""})
