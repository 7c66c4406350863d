"""`{{ value|number }}` and `{{ value|number:2 }}`: a number in the page's language, thousands
grouped (agritrace.numbers). Built into every template (settings.TEMPLATES' builtins)."""

from django import template

from agritrace.numbers import number as _number

register = template.Library()


@register.filter
def number(value, decimals=None) -> str:
    try:
        places = int(decimals) if decimals not in (None, "") else None
    except (TypeError, ValueError):
        places = None
    return _number(value, places)
