"""The site's own locale formats (Django's FORMAT_MODULE_PATH): Vietnamese dates are read and
shown day first (dd/mm/yyyy), ISO yyyy-mm-dd is read in every language, and a typed date that
two of the active language's forms read differently is refused as ambiguous (`fields.py`)."""
