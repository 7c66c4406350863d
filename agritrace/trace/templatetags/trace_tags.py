from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template, or None."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def cbv(term, kind: str):
    """A CBV term named in the page's language with the term beside it (trace.labels)."""
    from agritrace.trace.labels import with_term

    return with_term(kind, term)


@register.filter
def cbv_name(term, kind: str) -> str:
    """A CBV term's name in the page's language alone (titles)."""
    from agritrace.trace.labels import name

    return name(kind, term)


@register.filter
def event_kind(event):
    """An event's type and action, named, with the EPCIS terms beside them."""
    from agritrace.trace.labels import event_summary

    return event_summary(event)
