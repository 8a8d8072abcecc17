"""Swedish number and date formats: "3 707", "6,3", "oktober 2026"."""

from __future__ import annotations

import math

import pandas as pd

SPACE = "\u00a0"  # no-break space: a number never wraps over two lines
MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december"]
MONTHS_SHORT = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov",
                "dec"]


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def number(value, decimals: int = 0) -> str:
    """3707 -> "3 707"; 6.3 -> "6,3"; missing -> "–"."""
    if _missing(value):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", SPACE).replace(".", ",").replace("-", "−")


def signed(value, decimals: int = 0) -> str:
    """+12 / −3,5 (with a real minus sign)."""
    if _missing(value):
        return "–"
    return ("+" if value > 0 else "") + number(value, decimals)


def percent(value, decimals: int = 1, sign: bool = True) -> str:
    if _missing(value):
        return "–"
    return (signed(value, decimals) if sign else number(value, decimals)) + f"{SPACE}%"


def count(value, hidden: bool, threshold: int) -> str:
    """A count as shown to users: "<5" when disclosure control hid it."""
    if hidden:
        return f"<{threshold}"
    return number(value)


def month(value) -> str:
    """2026-10-01 -> "oktober 2026"."""
    ts = pd.Timestamp(value)
    return f"{MONTHS[ts.month - 1]} {ts.year}"


def month_short(value) -> str:
    ts = pd.Timestamp(value)
    return f"{MONTHS_SHORT[ts.month - 1]} {ts.year}"


def period(start, end) -> str:
    """"jan 2025 – dec 2025", or one month's name."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    if s == e:
        return month(s)
    return f"{month_short(s)} – {month_short(e)}"


def postnummer(code: str) -> str:
    """"97231" -> "972 31"."""
    return f"{code[:3]} {code[3:]}" if isinstance(code, str) and len(code) == 5 else str(code)
