"""Swedish number and date formats: "3 707", "6,3", "oktober 2026"."""

from __future__ import annotations

import math
import re
import sys

SPACE = "\u00a0"  # no-break space: a number never wraps over two lines
MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
          "september", "oktober", "november", "december"]
MONTHS_SHORT = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov",
                "dec"]


def _missing(value) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    # pd.NA exists only once pandas is imported; not importing it here keeps --help light.
    pd = sys.modules.get("pandas")
    return pd is not None and value is pd.NA


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
    import pandas as pd

    ts = pd.Timestamp(value)
    return f"{MONTHS[ts.month - 1]} {ts.year}"


def month_short(value) -> str:
    import pandas as pd

    ts = pd.Timestamp(value)
    return f"{MONTHS_SHORT[ts.month - 1]} {ts.year}"


def period(start, end) -> str:
    """"jan 2025 – dec 2025", or one month's name."""
    import pandas as pd

    s, e = pd.Timestamp(start), pd.Timestamp(end)
    if s == e:
        return month(s)
    return f"{month_short(s)} – {month_short(e)}"


def postnummer(code: str) -> str:
    """"97231" -> "972 31"."""
    return f"{code[:3]} {code[3:]}" if isinstance(code, str) and len(code) == 5 else str(code)


# Terminal escape sequences (CSI such as colours and cursor moves, OSC such as window titles
# and hyperlinks, and two-character escapes), then single control characters and the
# invisible direction marks and overrides that make text read differently from what it is.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?"
                      r"|\x9b[0-?]*[ -/]*[@-~]")
_DIRECTION = re.compile(r"[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text: object, newlines: bool = True) -> str:
    """Text from a file or a user, safe to print on a terminal and to put in a message.

    Removes terminal escape sequences and the Unicode direction overrides and marks
    (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C); every other control character
    becomes "�". Tabs become spaces; newlines are kept unless *newlines* is False.
    """
    text = _DIRECTION.sub("", _ESCAPES.sub("", str(text))).replace("\t", " ")
    if not newlines:
        text = text.replace("\n", " ")
    return _CONTROL.sub("\ufffd", text)
