"""Kubernetes resource quantities (``15``, ``1500m``, ``1Gi``, ``1e3``) as exact fractions."""
from __future__ import annotations

import re
from fractions import Fraction

QUANTITY_REGEX_TEXT = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_QUANTITY_RE = re.compile(QUANTITY_REGEX_TEXT)

_SUFFIX = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity."""


def parse_quantity(value: object) -> Fraction:
    """Parse a quantity as the API server does; ints and floats are accepted as numbers."""
    if isinstance(value, bool):
        raise QuantityError(f"quantity must be a string or number, got {value!r}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    if not isinstance(value, str):
        raise QuantityError(f"quantity must be a string or number, got {type(value).__name__}")
    text = value.strip()
    match = _QUANTITY_RE.match(text)
    if not match or text.count(".") > 1:
        raise QuantityError(f"quantities must match the regular expression '{QUANTITY_REGEX_TEXT}'")
    number, suffix = match.groups()
    try:
        base = Fraction(number)
    except (ValueError, ZeroDivisionError) as err:
        raise QuantityError(f"invalid number {number!r} in quantity") from err
    if suffix in _SUFFIX:
        return base * _SUFFIX[suffix]
    exp = re.fullmatch(r"[eE]([-+]?[0-9]+)", suffix)
    if exp and abs(int(exp.group(1))) <= 30:
        return base * Fraction(10) ** int(exp.group(1))
    raise QuantityError(f"unable to parse quantity's suffix {suffix!r}")


def cpu_millis(value: object) -> int:
    """CPU quantity in millicores, rounded up as kubelet does."""
    q = parse_quantity(value) * 1000
    return -((-q.numerator) // q.denominator)


def to_int_ceil(q: Fraction) -> int:
    return -((-q.numerator) // q.denominator)


def format_millis(millis: int) -> str:
    """``1500`` -> ``1500m``; ``2000`` -> ``2``."""
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def format_bytes(value: int) -> str:
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value and value % size == 0:
            return f"{value // size}{suffix}"
    return str(value)
