"""Masking client personal data (phone numbers, e-mail addresses) in free text before posting."""

from __future__ import annotations

import re

MASK = "•"
# 10 to 15 digits, possibly with spaces, dashes, dots or brackets between them, optionally
# starting with "+": +7 (999) 123-45-67, 8 999 123 45 67, 89991234567.
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[\s\-().]{0,2}\d){9,14}(?!\w)")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def mask_personal_data(text: str) -> str:
    """Phones keep their last two digits, e-mails their domain; everything else is kept."""
    text = _EMAIL.sub(lambda match: f"{MASK * 3}@{match.group(1)}", text)
    return _PHONE.sub(_mask_phone, text)


def _mask_phone(match: re.Match[str]) -> str:
    value = match.group(0)
    digits_seen = 0
    total = sum(char.isdigit() for char in value)
    masked = []
    for char in value:
        if char.isdigit():
            digits_seen += 1
            masked.append(char if digits_seen > total - 2 else MASK)
        else:
            masked.append(char)
    return "".join(masked)
