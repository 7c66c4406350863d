"""Template tags the other pages use to show diary facts, e.g. on a planting area's page:

{% load diary_tags %}{% harvest_window area %}
"""

from django import template

from agritrace.diary import services

register = template.Library()


@register.inclusion_tag("diary/_harvest_window.html")
def harvest_window(target) -> dict:
    """The earliest lawful harvest of a plot or a planting area and the sprays holding it."""
    return services.harvest_window(target)
