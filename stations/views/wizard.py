from .coming import ComingSoonView


class StationImportWizardView(ComingSoonView):
    title = "Import station"
