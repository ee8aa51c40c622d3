"""Activation (SPEC §6): a signed-in account activates a station with its Station ID and security code."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views.generic import DetailView, FormView

from .. import services, throttling
from ..activation_forms import StationActivationForm
from ..client_address import client_address
from ..rules import connector_mapping
from ..selectors import stations_activated_by


class StationActivateView(LoginRequiredMixin, FormView):
    """Station ID and security code in; on success the station is the user's and the mapping is shown."""

    template_name = "stations/activate.html"
    form_class = StationActivationForm

    def get_initial(self):
        # A label's QR link names the station (?station_id=); its code comes in the fragment (activate.js).
        return {**super().get_initial(), "station_id": self.request.GET.get("station_id", "").strip()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            max_attempts=throttling.max_failed_attempts(),
            window_minutes=throttling.window_minutes(),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            station = services.station_activate(
                user=self.request.user,
                station_id=form.cleaned_data["station_id"],
                security_code=form.cleaned_data["security_code"],
                client_address=client_address(self.request),
            )
        except ValidationError as error:
            form.add_error(None, error)
            throttled = error.code == "too_many_attempts"
            return self.render_to_response(
                self.get_context_data(form=form, throttled=throttled), status=429 if throttled else 400
            )
        return redirect("stations:activated", pk=station.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class StationActivatedView(LoginRequiredMixin, DetailView):
    """The result page of an activation, for its owner: the station and the connector mapping now applying."""

    template_name = "stations/activated.html"
    context_object_name = "station"

    def get_queryset(self):
        return stations_activated_by(self.request.user).select_related("activated_by")

    def get_context_data(self, **kwargs):
        specs = list(self.object.connector_specs.all())
        return super().get_context_data(specs=specs, mapping=connector_mapping(specs), **kwargs)
