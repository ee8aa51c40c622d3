from django.http import Http404

from .coming import ComingSoonView


class StationUploadView(ComingSoonView):
    title = "Upload stations"


def example_csv(request, kind):
    raise Http404("Example files are not available yet.")
