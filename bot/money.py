"""Exact money: amounts are integers of nano-units (1e-9 of the currency unit).

Why nano-units: billing exports carry up to 10 decimal places (S3 request
charges of $0.0000004 an hour); rounding each line to 1e-9 keeps the error of a
line below 5e-10, so even ten million lines cannot move a total by a cent, while
SQLite and pyarrow still sum them as exact 64-bit integers (up to $9.2 billion
per sum). Amounts become :class:`~decimal.Decimal` for display and JSON; nothing
on the way is ever a binary float.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

NANOS_PER_UNIT = 1_000_000_000
_NANO = Decimal(1).scaleb(-9)
_CENT = Decimal("0.01")


class MoneyFormatError(ValueError):
    """A text is not a plain decimal amount."""


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal such as ``-12.5`` or ``1E-7``; reject ``$1,000.00``.

    Spreadsheet-formatted amounts are refused rather than guessed at: a comma may
    be a thousands separator or a decimal mark depending on the locale.
    """
    t = text.strip()
    if not t or any(c in t for c in "$€£,()% "):
        raise MoneyFormatError(f"not a plain decimal amount: {text!r}")
    try:
        value = Decimal(t)
    except InvalidOperation as exc:
        raise MoneyFormatError(f"not a decimal amount: {text!r}") from exc
    if not value.is_finite():
        raise MoneyFormatError(f"not a finite amount: {text!r}")
    return value


def to_nanos(value: Decimal) -> int:
    """Convert an exact decimal amount to integer nano-units (half-even)."""
    return int(value.quantize(_NANO, rounding=ROUND_HALF_EVEN).scaleb(9))


def from_nanos(nanos: int) -> Decimal:
    """Convert integer nano-units back to an exact :class:`Decimal`."""
    return Decimal(nanos).scaleb(-9)


def decimal_text(nanos: int) -> str:
    """Render nano-units as a plain decimal string without trailing zeros beyond cents.

    ``1234500000000`` → ``"1234.50"``; ``123`` → ``"0.000000123"``. Used in JSON,
    where consumers want the exact value, not a rounded one.
    """
    value = from_nanos(nanos)
    if value == value.quantize(_CENT):
        return f"{value.quantize(_CENT):f}"
    return f"{value.normalize():f}"


def format_money(nanos: int, currency: str = "USD", *, signed: bool = False) -> str:
    """Format for people: ``$12,345.67``, ``-$3.00``, ``+$1,200.00`` (half-even to cents)."""
    cents = from_nanos(nanos).quantize(_CENT, rounding=ROUND_HALF_EVEN)
    sign = "-" if cents < 0 else ("+" if signed and cents > 0 else "")
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, "")
    body = f"{abs(cents):,.2f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def format_change(current: int, previous: int) -> str:
    """Format the relative change ``+18.2 %``; ``n/a`` when there is nothing to compare to."""
    if previous == 0:
        return "n/a" if current == 0 else "new"
    pct = (Decimal(current - previous) * 100 / abs(Decimal(previous))).quantize(Decimal("0.1"))
    sign = "+" if pct > 0 else ("±" if pct == 0 else "−")
    return f"{sign}{abs(pct)} %"


def share_text(part: int, whole: int) -> str:
    """Format ``part`` as a share of ``whole``: ``42.0 %``."""
    if whole == 0:
        return "–"
    pct = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
    return f"{pct} %"
