"""Typed text is never cut (issue 17, item 6): text longer than its field's limit is refused
with the limit in the message, on the forms and on the API, and nothing is saved.

- Every model field of ours with a `max_length` (CharField, and the TextFields users type,
  limited by NOTE_MAX_LENGTH and REASON_MAX_LENGTH) is checked before it is saved
  (`refuse_long_text`, a pre_save receiver connected by the accounts app): the service's
  transaction rolls back and its ValidationError names the field (422 on the API, the
  message beside the field on a page, the error on the command line).
- Services check a value early, or one that has no model field, with `check_length`.
- Forms keep Django's own max_length check (its message gives the limit), and the
  `FormRenderer` below leaves `maxlength` out of the HTML, because a browser silently cuts
  a pasted text to it: the server says what is wrong instead.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.forms.renderers import DjangoTemplates
from django.utils.formats import number_format
from django.utils.translation import gettext as _

#: Free notes (a diary entry's, an inspection's, a visit's): about a page of text.
NOTE_MAX_LENGTH = 4000
#: Reasons (for a rejection, a return, a suspension, a change).
REASON_MAX_LENGTH = 2000


def length_message(limit: int, length: int) -> str:
    return _("At most %(limit)s characters, please: this text has %(length)s.") % {
        "limit": number_format(limit, force_grouping=True),
        "length": number_format(length, force_grouping=True),
    }


def check_length(value: object, limit: int, field: str, errors: dict) -> None:
    """Add a message to `errors[field]` when `value` is a text longer than `limit`."""
    if isinstance(value, str) and len(value) > limit:
        errors[field] = length_message(limit, len(value))


def model_length_errors(instance: models.Model, only=None) -> dict[str, str]:
    """{field name: message} for each text of `instance` longer than its field allows (of
    the fields named in `only`, when given)."""
    errors: dict[str, str] = {}
    for field in instance._meta.concrete_fields:
        if only is not None and field.name not in only and field.attname not in only:
            continue
        limit = getattr(field, "max_length", None)
        if limit and isinstance(field, (models.CharField, models.TextField)):
            check_length(getattr(instance, field.attname, None), limit, field.name, errors)
    return errors


def refuse_long_text(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
    """pre_save: our models never store (or, on PostgreSQL, fail on) a text over its limit.
    A save of some fields checks those only (an old row is not refused for another field)."""
    if raw or not sender.__module__.startswith("agritrace."):
        return
    errors = model_length_errors(instance, update_fields)
    if errors:
        raise ValidationError(errors)


class FormRenderer(DjangoTemplates):
    """Django's renderer, without the `maxlength` attribute a browser cuts pasted text to."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict):
            for one in [widget, *widget.get("subwidgets", [])]:
                attrs = one.get("attrs") if isinstance(one, dict) else None
                if isinstance(attrs, dict):
                    attrs.pop("maxlength", None)
        return super().render(template_name, context, request)
