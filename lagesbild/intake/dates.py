"""Dates in source files, read without guessing.

Accepted without a word: ISO (``2025-03-01``, ``2025-03``, ``2025-03-01 00:00:00``,
``2025/03/01``, ``202503``, ``20250301``) and the Swedish day-first form with dots
(``01.03.2025``). A slash form with the year last (``03/10/2026``) is 3 October in Sweden and
10 March in the USA: it is read only by a format the source profile declares
(``datumformat: DD/MM/ÅÅÅÅ``, or a strftime format such as ``%d/%m/%Y``) and otherwise refused
with the row. Everything else is not a date.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from lagesbild.codes import by_value

EARLIEST_YEAR = 2000  # dates before this are taken for typing errors

_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})(?:[-/](\d{1,2}))?"
                  r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_AMBIGUOUS = re.compile(r"^\d{1,2}[/-]\d{1,2}[/-]\d{2,4}$")
_TOKENS = [("ÅÅÅÅ", "%Y"), ("YYYY", "%Y"), ("ÅÅ", "%y"), ("YY", "%y"), ("MM", "%m"),
           ("DD", "%d")]
INVALID, AMBIGUOUS = "invalid", "ambiguous"


def strftime_format(declared: str) -> str:
    """A profile's ``datumformat`` ("DD/MM/ÅÅÅÅ" or "%d/%m/%Y") as a strftime format."""
    if "%" in declared:
        return declared
    result = declared.upper()
    for token, directive in _TOKENS:
        result = result.replace(token, directive)
    return result


def _one(text: str, declared: str) -> tuple[pd.Timestamp | None, str | None]:
    if declared:
        try:
            return pd.Timestamp(dt.datetime.strptime(text, declared)), None
        except ValueError:
            pass  # an ISO date in a file that declares another format is still fine
    parts = None
    if found := _ISO.match(text):
        year, month, day = found.groups()
        parts = (year, month, day or 1)
    elif found := _COMPACT.match(text):
        year, month, day = found.groups()
        parts = (year, month, day or 1)
    elif found := _DOTTED.match(text):
        day, month, year = found.groups()
        parts = (year, month, day)
    elif _AMBIGUOUS.match(text):
        return None, AMBIGUOUS
    if parts is None:
        return None, INVALID
    try:
        return pd.Timestamp(dt.date(*(int(p) for p in parts))), None
    except ValueError:  # 2025-02-30, month 13
        return None, INVALID


def parse(values: pd.Series, declared: str = "") -> tuple[pd.Series, pd.Series]:
    """Dates of text *values*, and why each one that is not a date is not.

    Parameters
    ----------
    values : Series of str
        Dates as written in the file (workbook dates arrive as ISO text).
    declared : str
        The profile's ``datumformat``, if any.

    Returns
    -------
    (Series of datetime64, Series of str or None)
        The dates (NaT where none) and, per value, None, ``"invalid"`` or ``"ambiguous"``.
    """
    fmt = strftime_format(declared) if declared else ""

    def convert(texts: pd.Series) -> pd.Series:
        return texts.map(lambda t: _one(str(t).strip(), fmt)).astype(object)

    pairs = by_value(values.fillna(""), convert)
    dates = pd.to_datetime(pairs.map(lambda p: p[0]), errors="coerce")
    return dates, pd.Series([p[1] for p in pairs], index=values.index, dtype=object)


def extraction_problem(date: dt.date | None, today: dt.date | None = None) -> str | None:
    """A Swedish problem when an extraction date cannot be right, else None."""
    if date is None:
        return None
    today = today or dt.date.today()
    if date > today:
        return (f"Uttagsdatumet {date:%Y-%m-%d} ligger i framtiden (i dag är det "
                f"{today:%Y-%m-%d}). Rätta datumet i filens rubrikrader, eller ange det rätta "
                "uttagsdatumet, och läs in filen igen.")
    if date.year < EARLIEST_YEAR:
        return (f"Uttagsdatumet {date:%Y-%m-%d} ligger före {EARLIEST_YEAR}. Rätta datumet i "
                "filens rubrikrader, eller ange det rätta uttagsdatumet.")
    return None
