"""An import's packaging labels (SPEC §7, §8), for whoever may see the import and change stations."""

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404

from .. import labels, services
from ..models import LabelLayoutChoice
from ..selectors import import_records_visible_to


@login_required
@permission_required("stations.change_station", raise_exception=True)
def import_labels(request, pk):
    """The labels of the stations an import created or last overrode, in the layout ``?layout=`` names."""
    record = get_object_or_404(import_records_visible_to(request.user), pk=pk)
    layout = request.GET.get("layout", LabelLayoutChoice.SHEET)
    if layout not in LabelLayoutChoice.values:
        return HttpResponseBadRequest(
            f"Unknown layout. Use one of: {', '.join(LabelLayoutChoice.values)}.", content_type="text/plain"
        )
    try:
        pdf = services.labels_print(
            user=request.user,
            stations=record.stations.all(),
            layout=layout,
            base_url=labels.base_url(request),
            import_record=record,
        )
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages), content_type="text/plain")
    return labels.pdf_response(pdf, f"import-{record.pk}-labels-{layout}.pdf")
