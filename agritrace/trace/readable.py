"""Messages of the capture as sentences for people. The API keeps each domain check's rule
code after its message ("… [lot_overdrawn]") for machines; a page shows the sentence alone.
The JSON parser's own messages (English, from Python) become sentences in the page's
language here too."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_RULE_SUFFIX = re.compile(r"\s*\[[a-z][a-z0-9_]*\]$")

#: Python's json parser messages (json.JSONDecodeError.msg, without position) → sentences.
_JSON_MESSAGES = {
    "Expecting value": gettext_lazy("a value was expected (text, a number, {…} or […])"),
    "Expecting property name enclosed in double quotes": gettext_lazy(
        "a field name in double quotes was expected"
    ),
    "Expecting ',' delimiter": gettext_lazy("a comma was expected"),
    "Expecting ':' delimiter": gettext_lazy("a colon was expected"),
    "Unterminated string starting at": gettext_lazy("a text is not closed by a double quote"),
    "Extra data": gettext_lazy("there is more after the end of the document"),
    "Invalid control character at": gettext_lazy("a text holds a control character"),
    "Invalid \\escape": gettext_lazy("a backslash escape is not valid"),
}


def for_page(message: str) -> str:
    """The message without the rule code the API adds after it."""
    return _RULE_SUFFIX.sub("", str(message))


def errors_for_page(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {path: [for_page(m) for m in messages] for path, messages in errors.items()}


def json_problem(msg: str) -> str:
    """A sentence for one of the JSON parser's messages; the message itself when unknown."""
    known = _JSON_MESSAGES.get(msg)
    return str(known) if known is not None else msg


def schema_message(leaf) -> str | None:
    """A sentence for a jsonschema error of the common kinds, or None to keep its own."""
    value = leaf.instance
    if leaf.validator == "format" and leaf.validator_value == "uri":
        return _(
            "“%(value)s” is not an identifier in URI form (such as urn:agritrace:lot:… or "
            "https://…)."
        ) % {"value": value}
    if leaf.validator == "format" and leaf.validator_value == "date-time":
        return _(
            "“%(value)s” is not a date and time with its offset (such as "
            "2025-06-30T08:00:00+07:00)."
        ) % {"value": value}
    if leaf.validator == "required" and isinstance(value, dict):
        missing = [p for p in leaf.validator_value if p not in value]
        if missing:
            return _("Missing field: %(fields)s.") % {"fields": ", ".join(missing)}
    if leaf.validator == "enum":
        return _("“%(value)s” is not one of the allowed values.") % {"value": value}
    if leaf.validator == "type":
        kinds = leaf.validator_value
        kinds = ", ".join(kinds) if isinstance(kinds, list) else kinds
        return _("“%(value)s” has the wrong type (%(type)s expected).") % {
            "value": value,
            "type": kinds,
        }
    return None
