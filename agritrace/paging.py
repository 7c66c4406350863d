"""The one paging of the JSON API's lists: `?limit=&offset=`, both bounded.

Every list route pages with `@paginate(Paging)` (it is also django-ninja's default class,
`NINJA_PAGINATION_CLASS`). A value that is not one whole number inside its range (null, empty,
negative, repeated, or too large for the database's integer) is a 422 naming the parameter and
its range, before any query runs."""

from typing import Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination
from pydantic import ValidationInfo, field_validator

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Far below a 64-bit integer (2**63 - 1) on SQLite and PostgreSQL, far above any table here.
MAX_OFFSET = 10**9

RANGES = {"limit": (1, MAX_LIMIT), "offset": (0, MAX_OFFSET)}


def _bounded(name: str, value: Any, info: ValidationInfo) -> int:
    low, high = RANGES[name]
    message = f"{name} must be one whole number from {low} to {high}."
    request = (info.context or {}).get("request")
    if request is not None and len(request.GET.getlist(name)) > 1:
        raise ValueError(f"{name} is given more than once; {message}")
    if isinstance(value, bool):
        raise ValueError(message)
    if isinstance(value, str):
        text = value.strip()
        # At most 19 digits: the number is compared, never converted from a huge string.
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            raise ValueError(message)
        value = int(text)
    if not isinstance(value, int) or not low <= value <= high:
        raise ValueError(message)
    return value


class Paging(LimitOffsetPagination):
    """django-ninja's limit/offset paging with both numbers bounded (see the module)."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

        @field_validator("limit", "offset", mode="before")
        @classmethod
        def _in_range(cls, value: Any, info: ValidationInfo) -> int:
            return _bounded(info.field_name, value, info)

    def __init__(self, max_limit: int = MAX_LIMIT, **kwargs: Any) -> None:
        super().__init__(max_limit=max_limit, **kwargs)
