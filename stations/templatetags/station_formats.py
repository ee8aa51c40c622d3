"""``{{ value|local_datetime }}``: the product's one date-time format (``stations.formats``) in templates."""

from django import template

from .. import formats

register = template.Library()


@register.filter
def local_datetime(value) -> str:
    return formats.local_datetime(value)
