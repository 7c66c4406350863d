"""Characters no identifier or text field may hold (issue 14, defect 4): NUL and the other
control characters (tab, line feed and carriage return excepted), and the bidirectional
embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make a stored value
display differently from what it is."""

import re
from collections.abc import Iterator

from django.utils.translation import gettext as _

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


#: What a JSON text holding a forbidden character anywhere must contain (UTF-8): the character
#: itself, or an escape that may write it (\b, \f, \u000…, \u001…, \u007…, \u008…,
#: \u009…, \u202…, \u206…). A superset: no match means `problems()` finds nothing.
_FORBIDDEN_IN_JSON = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
    rb"|\\[bf]|\\u(?:00[0189]|007|20[26])",
    re.IGNORECASE,
)


def json_text_may_hold_forbidden(raw: bytes | str) -> bool:
    """Can the document parsed from this JSON text hold a forbidden character? False is
    certain (a quick scan of the text instead of a walk over every parsed string)."""
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    return _FORBIDDEN_IN_JSON.search(data) is not None


def forbidden_character(value: str) -> str | None:
    """The first forbidden character of a string, written as U+XXXX, or None."""
    found = FORBIDDEN.search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def message(code_point: str) -> str:
    return _(
        "Contains a control or bidirectional-override character (%(char)s), which is not allowed."
    ) % {"char": code_point}


def problems(value: object, path: str = "$", limit: int = 20) -> Iterator[tuple[str, str]]:
    """(JSON path, message) for every string (key or value) in a parsed JSON value that holds
    a forbidden character, at most `limit` of them. The value's depth is bounded by its parser
    (trace.intake), so the walk is iterative only for speed."""
    stack: list[tuple[str, object]] = [(path, value)]
    found = 0
    while stack and found < limit:
        where, node = stack.pop()
        if isinstance(node, str):
            char = forbidden_character(node)
            if char:
                found += 1
                yield where, message(char)
        elif isinstance(node, dict):
            for key, item in reversed(list(node.items())):
                char = forbidden_character(key) if isinstance(key, str) else None
                if char:
                    found += 1
                    yield f"{where}.{key!r}", message(char)
                stack.append((f"{where}.{key}", item))
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", item) for i, item in reversed(list(enumerate(node))))


def _field(path: str) -> str:
    """A JSON path of problems() as the API names a field: `$.a[0].b` → `a[0].b`."""
    return path.removeprefix("$").removeprefix(".") or "__all__"


class ForbiddenTextMiddleware:
    """The JSON API refuses a forbidden character anywhere in a JSON body or a query value, with
    a 422 `{detail, errors: {field: [message]}}` naming the field, before any view runs.
    EPCIS captures check their documents themselves (400 with the JSON path, trace.intake);
    bodies above Django's upload limit are left to the API's 413."""

    PREFIXES = ("/api/",)
    EXEMPT_SUFFIXES = ("/trace/capture",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(self.PREFIXES) and not request.path.rstrip("/").endswith(
            self.EXEMPT_SUFFIXES
        ):
            errors = self._errors(request)
            if errors:
                from django.http import JsonResponse

                field, messages = next(iter(errors.items()))
                body = {"detail": f"{field}: {messages[0]}", "errors": errors}
                return JsonResponse(body, status=422, json_dumps_params={"ensure_ascii": False})
        return self.get_response(request)

    @staticmethod
    def _errors(request) -> dict[str, list[str]]:
        import json

        from django.conf import settings

        errors: dict[str, list[str]] = {}
        for key, values in request.GET.lists():
            for value in [key, *values]:
                char = forbidden_character(value)
                if char:
                    errors.setdefault(key, []).append(message(char))
                    break
        content_type = (request.content_type or "").lower()
        if request.method in ("POST", "PUT", "PATCH") and "json" in content_type:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                from agritrace.trace.intake import depth_problem

                raw = request.body
                if depth_problem(raw) is None:
                    try:
                        data = json.loads(raw)
                    except ValueError:
                        data = None  # the API's parser answers malformed JSON
                    for path, text in problems(data):
                        errors.setdefault(_field(path), []).append(text)
        return errors
