from .coming import ComingSoonView


class StationActivateView(ComingSoonView):
    title = "Activate station"
