"""The personnummer guard: stop a file that holds personnummer or samordningsnummer.

The dashboard needs counts, not people. A cell is taken for a personnummer when it has 10 or 12
digits (optionally with ``-`` or ``+`` before the last four), a valid date part (a
samordningsnummer adds 60 to the day) and a correct check digit (Luhn). Values found are never
put in a message or a log: messages name the column and rows only.
"""

from __future__ import annotations

import calendar
import re

import pandas as pd

from lagesbild.errors import DataError

_SHAPE = r"(?:\d{2})?\d{6}[-+]?\d{4}"
_PATTERN = re.compile(rf"^({_SHAPE})$")
# Headers that announce personnummer even when the values are masked.
_HEADER = re.compile(r"person\s*-?\s*n(umme)?r|^pnr$|samordningsn|personid", re.IGNORECASE)
MAX_ROWS_LISTED = 5


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def is_personnummer(value: object) -> bool:
    """True if *value* looks like a valid personnummer or samordningsnummer."""
    text = str(value).strip()
    if not _PATTERN.match(text):
        return False
    digits = re.sub(r"\D", "", text)
    if len(digits) == 12:
        century, digits = digits[:2], digits[2:]
        if century not in ("18", "19", "20"):
            return False
        year = int(century + digits[:2])
    else:
        year = 2000 + int(digits[:2])  # leap years repeat every century well enough here
    month, day = int(digits[2:4]), int(digits[4:6])
    if day > 60:  # samordningsnummer
        day -= 60
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    return _luhn_ok(digits)


def suspicious_rows(values: pd.Series) -> pd.Series:
    """Boolean mask of the cells in *values* (text) that look like personnummer."""
    # Each distinct value once, as Arrow strings: the regular expression runs in C.
    uniques = pd.Series(values.dropna().unique())
    text = uniques.astype("string[pyarrow]").str.strip()
    shaped = text.str.fullmatch(_SHAPE).fillna(False).astype(bool)
    found = [value for value, t in zip(uniques[shaped], text[shaped]) if is_personnummer(t)]
    return values.isin(found) if found else pd.Series(False, index=values.index)


def check(sheet) -> None:
    """Raise DataError naming each column of a raw sheet that holds personnummer.

    *sheet* is a :class:`lagesbild.intake.load.Sheet` (text cells and ``_rad``).
    """
    frame, name = sheet.frame, sheet.name
    found = []
    for column in frame.columns:
        if column == "_rad":
            continue
        mask = suspicious_rows(frame[column])
        header = sheet.headers.get(column, column)
        if _HEADER.search(str(header)) or mask.any():
            rows = frame.loc[mask, "_rad"].head(MAX_ROWS_LISTED).tolist()
            where = f" (till exempel rad {', '.join(map(str, rows))})" if rows else ""
            found.append(f"kolumnen ”{header}”{where}")
    if found:
        message = (f"{name}: {', '.join(found)} ser ut att innehålla personnummer eller "
                   "samordningsnummer. Personnummer får inte lagras: ta bort kolumnen ur "
                   "exporten och läs in filen igen. Inget från filen har sparats.")
        raise DataError(message)
