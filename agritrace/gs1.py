"""GS1 arithmetic shared by the apps (pure, no Django): the mod-10 check digit of GTINs, GLNs
and SSCCs (GS1 General Specifications §7.9.1)."""


def check_digit(digits: str) -> str:
    """The check digit of `digits` (the digits before it): weights 3, 1, 3, … from the right."""
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def has_valid_check_digit(digits: str) -> bool:
    """Whether the last digit of `digits` is the check digit of the others."""
    return digits.isdigit() and len(digits) >= 2 and check_digit(digits[:-1]) == digits[-1]
