"""`{{ value|number }}` and `{{ value|number:2 }}`: a number in the page's language, thousands
grouped (agritrace.numbers); `{{ value|shown_date }}`: a date, or a date kept as ISO text (in
JSON data), in the page's language. Built into every template (settings.TEMPLATES' builtins)."""

from django import template
from django.utils.dateparse import parse_date

from agritrace.formats import shown_date as _shown_date
from agritrace.numbers import number as _number

register = template.Library()


@register.filter
def number(value, decimals=None) -> str:
    try:
        places = int(decimals) if decimals not in (None, "") else None
    except (TypeError, ValueError):
        places = None
    return _number(value, places)


@register.filter
def shown_date(value) -> str:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = parse_date(text[:10]) if len(text) >= 10 else None
        except ValueError:
            value = None
        if value is None:
            return text
    return _shown_date(value)
