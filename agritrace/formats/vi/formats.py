"""Vietnamese: dates are day/month/year. Only what differs from Django's own `vi` formats.
ISO (yyyy-mm-dd) comes first, so a browser's date picker (which always sends ISO) and a
typed 03/12/2026 (3 December 2026) are both read right; two-digit years are not read."""

# Numbers: 1,20 and 10.000 (Django's vi has the separators but no grouping, so 10000).
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-03
    "%d/%m/%Y",  # 03/12/2026
    "%d-%m-%Y",  # 03-12-2026
    "%d.%m.%Y",  # 03.12.2026
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",  # 2026-12-03T14:30 (the browser's datetime-local)
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",  # 03/12/2026 14:30:59
    "%d/%m/%Y %H:%M",  # 03/12/2026 14:30
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y",
]
