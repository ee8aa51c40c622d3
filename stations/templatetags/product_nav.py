"""Template tags for the product's top navigation."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def optional_url(view_name: str, *args) -> str:
    """The URL of VIEW_NAME, or "" while no such page exists (a link the navigation shows once it does)."""
    try:
        return reverse(view_name, args=args)
    except NoReverseMatch:
        return ""
