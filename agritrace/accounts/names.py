"""How a person is named on pages, in API labels and in the audit log: Vietnamese order,
family name first ("Lê Văn Dũng"), from the family name (`User.last_name`) and the given
name (`User.first_name`); the user name where no name is recorded. Django's own
`get_full_name()` puts the given name first ("Dũng Lê Văn") and is not used for people."""

from __future__ import annotations


def full_name(user) -> str:
    """The person's recorded name, family name first; "" when none is recorded."""
    if user is None:
        return ""
    family = (getattr(user, "last_name", "") or "").strip()
    given = (getattr(user, "first_name", "") or "").strip()
    return " ".join(part for part in (family, given) if part)


def display_name(user) -> str:
    """The person's name, family name first; their user name when they have none; "" for
    nobody."""
    if user is None:
        return ""
    return full_name(user) or user.get_username()


def display_name_or_none(user) -> str | None:
    """`display_name`, or None for nobody (API fields that may be empty)."""
    return display_name(user) if user is not None else None
