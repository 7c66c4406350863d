"""The site's own locale formats (Django's FORMAT_MODULE_PATH): Vietnamese dates are read and
shown day first (dd/mm/yyyy), ISO yyyy-mm-dd is read in every language, and a typed date that
two of the active language's forms read differently is refused as ambiguous (`fields.py`)."""


def shown_date(value) -> str:
    """A date as the page's language shows it (03/12/2026 in Vietnamese, 3 Dec 2026 in
    English), for messages made in Python; "" for none. ISO stays for data and typed values."""
    from django.utils.formats import date_format

    return date_format(value, "SHORT_DATE_FORMAT") if value else ""
