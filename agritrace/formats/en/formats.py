"""English, as used in a Vietnamese service: the locale's own forms (month first, as Django's
`en`) and the day-first forms that Vietnamese users type are both listed, so a date such as
03/12/2026 that they read differently is refused as ambiguous (agritrace.formats.fields) while
12/25/2026, 25/12/2026, 2026-12-03 and 3 Dec 2026 are read. Two-digit years are not read."""

#: Dates shown on pages: "3 Dec 2026", which neither a day-first nor a month-first reader
#: can read the wrong way round (Vietnamese pages show 03/12/2026).
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-12-03
    "%m/%d/%Y",  # 12/25/2026
    "%d/%m/%Y",  # 25/12/2026
    "%d %b %Y",  # 3 Dec 2026
    "%d %B %Y",  # 3 December 2026
    "%b %d %Y",  # Dec 3 2026
    "%b %d, %Y",  # Dec 3, 2026
    "%B %d %Y",  # December 3 2026
    "%B %d, %Y",  # December 3, 2026
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",  # 2026-12-03T14:30 (the browser's datetime-local)
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d",
]
