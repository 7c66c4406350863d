"""Characters no identifier or text field may hold (issue 14, defect 4): NUL and the other
control characters (tab, line feed and carriage return excepted), and the bidirectional
embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make a stored value
display differently from what it is."""

import re
from collections.abc import Iterator

from django.utils.translation import gettext as _

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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
