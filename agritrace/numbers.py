"""Numbers as the page's language writes them (issue 17 item 11): in Vietnamese a comma before
the decimals and a full stop between thousands ("1,20 ha", "10.000 ha"), in English the other
way round. Django's USE_THOUSAND_SEPARATOR stays off, since it would also group the ids in
links and the years; what people read goes through `number` instead (the `|number` template
filter, built into every template by settings.TEMPLATES, and the messages made in Python)."""

from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format


def number(value: object, decimals: int | None = None) -> str:
    """`value` in the active language's form, thousands grouped. With `decimals`, rounded to
    that many; without, a Decimal keeps its own (trailing zeros dropped: 0.30 → "0,3") and a
    float at most 2. Text that is not a number comes back unchanged; None gives ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        try:
            value = Decimal(value)
        except InvalidOperation:
            return value
    if decimals is None:
        if isinstance(value, Decimal):
            value = value.normalize()
            exponent = value.as_tuple().exponent
            decimals = max(0, -exponent) if isinstance(exponent, int) else 0
            if decimals == 0:
                value = value.quantize(Decimal(1))
        elif isinstance(value, float):
            decimals = 0 if value == int(value) else 2
    return number_format(value, decimals, use_l10n=True, force_grouping=True)
