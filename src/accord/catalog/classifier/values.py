"""Sampled values: their text form, and validity rules telling identifiers from look-alikes.

Drivers hand back str, bytes, numbers, dates or None; detectors work on text, one value per
line. Validity checks run only on values that already matched a detector's format, so they can
be plain Python: an SSN's area/group/serial, the VIN and LOINC check digits, IP ranges, North
American phone numbering.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from datetime import date, datetime


def sample_texts(values: Sequence[object], limit: int) -> list[str]:
    """Non-empty text forms of up to ``limit`` sampled values; odd values are skipped.

    Bytes are decoded as UTF-8 with replacement (drivers hand back raw bytes for some types);
    booleans, NaN and anything that is not text, a number or a date carry no format to detect.
    Line breaks inside a value become spaces, because detectors see one value per line.
    """
    texts: list[str] = []
    for value in values:
        if isinstance(value, str):
            text = value.strip()
        elif value is None:
            continue
        else:
            text = _odd_text(value)
        if text:
            texts.append(text)
            if len(texts) >= limit:
                break
    for i, text in enumerate(texts):
        if "\n" in text or "\r" in text:
            texts[i] = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return texts


def _odd_text(value: object) -> str:
    """Text for the less common value types a driver returns; "" for what has no format."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace").strip()
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) or math.isinf(value) else repr(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return ""


def valid_ssn(value: str) -> bool:
    """SSA never issues area 000, 666 or 900-999, group 00 or serial 0000."""
    digits = value.replace("-", "").replace(" ", "")
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def luhn_ok(digits: str) -> bool:
    """The mod-10 (Luhn) check used by LOINC codes and card-like account numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def valid_loinc(value: str) -> bool:
    return luhn_ok(value.replace("-", ""))


# Transliteration of VIN characters to numbers (I, O and Q are never used).
_VIN_VALUES = dict(
    zip(
        "0123456789ABCDEFGHJKLMNPRSTUVWXYZ",
        (*range(10), *range(1, 9), *range(1, 6), 7, 9, *range(2, 10)),
        strict=True,
    )
)
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def valid_vin(value: str) -> bool:
    """North American VINs carry a check digit (0-9 or X) in position 9 (49 CFR 565)."""
    vin = value.upper()
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    expected = total % 11
    return vin[8] == ("X" if expected == 10 else str(expected))


def valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def valid_nanp(value: str) -> bool:
    """North American numbers: area code and exchange do not start with 0 or 1."""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) == 11:
        digits = digits[1:]
    return len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01"
