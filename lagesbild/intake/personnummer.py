"""The personnummer guard: stop a file that holds personnummer or samordningsnummer.

The dashboard needs counts, not people. A personnummer is looked for anywhere in a text: in
every cell (free text too), in headers, in the rows above the header, in sheet and file names.
A candidate is 6 or 8 digits with a valid date part (a samordningsnummer adds 60 to the day;
the century of 8 digits is 18, 19 or 20), then 4 digits, with no digit directly before or
after. Written with a separator between date and number (``-``, ``+``, a space, a no-break or
thin space, an en or em dash, a minus sign) the valid date is enough: that is how a
personnummer is written, and a false alarm costs a re-export while a miss costs a person's
privacy. Written as 10 or 12 digits in a row it must also have a correct check digit (Luhn),
so that ordinary long numbers pass.

Values found are never put in a message or a log: messages name the column and rows only, a
header holding one is named by its position, and :func:`redact` replaces one in a name.
"""

from __future__ import annotations

import calendar
import re

import pandas as pd

from lagesbild import fmt
from lagesbild.errors import DataError

# Separators seen between the date part and the last four digits (full-width ones too).
_SEPARATOR = r"[\s\-+\u00a0\u2007\u2009\u200a\u202f\u2010-\u2015\u2212\ufe63\uff0b\uff0d]"
# Invisible characters that could hide a personnummer by splitting its digits: zero-width
# spaces and joiners, the word joiner, the byte-order mark and the soft hyphen.
_INVISIBLE = r"[\u00ad\u200b-\u200d\u2060\ufeff]"
_INVISIBLE_RE = re.compile(_INVISIBLE)
_CANDIDATE = re.compile(rf"(?<!\d)((?:\d{{2}})?\d{{6}})({_SEPARATOR}{{1,3}})?(\d{{4}})(?!\d)")
_STRICT = re.compile(r"^((?:\d{2})?\d{6})([-+])?(\d{4})$")
_SIX_DIGITS = r"\p{Nd}{6}"  # every candidate holds six digits in a row: a cheap pre-filter
# Headers that announce personnummer even when the values are masked.
_HEADER = re.compile(r"person\s*-?\s*n(umme)?r|^pnr$|samordningsn|personid", re.IGNORECASE)
MAX_ROWS_LISTED = 5
REDACTED = "[personnummer borttaget]"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _valid_date(date: str) -> bool:
    """True if *date* (YYMMDD or YYYYMMDD, day + 60 for samordningsnummer) is a real day."""
    if len(date) == 8:
        if date[:2] not in ("18", "19", "20"):
            return False
        year = int(date[:4])
    else:
        year = 2000 + int(date[:2])  # leap years repeat every century well enough here
    month, day = int(date[-4:-2]), int(date[-2:])
    if day > 60:  # samordningsnummer
        day -= 60
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _is_one(match: re.Match) -> bool:
    date, separator, last = match.groups()
    if not _valid_date(date):
        return False
    return bool(separator) or _luhn_ok(date[-6:] + last)


def is_personnummer(value: object) -> bool:
    """True if *value* is exactly a valid personnummer or samordningsnummer (check digit too)."""
    found = _STRICT.match(str(value).strip())
    if not found or not _valid_date(found.group(1)):
        return False
    return _luhn_ok(found.group(1)[-6:] + found.group(3))


def contains(text: object) -> bool:
    """True if *text* holds anything that looks like a personnummer (see the module docstring).

    Digits of any script count (full-width ８１１２１８ too), and invisible characters between
    them are ignored."""
    return any(_is_one(m) for m in _CANDIDATE.finditer(_INVISIBLE_RE.sub("", str(text))))


def redact(text: str) -> str:
    """*text* with everything that looks like a personnummer replaced by a placeholder (and
    without invisible characters)."""
    return _CANDIDATE.sub(lambda m: REDACTED if _is_one(m) else m.group(0),
                          _INVISIBLE_RE.sub("", str(text)))


def suspicious_rows(values: pd.Series) -> pd.Series:
    """Boolean mask of the cells in *values* (text) that hold something like a personnummer."""
    # Each distinct value once, filtered in C (Arrow) to those with six digits in a row.
    uniques = pd.Series(values.dropna().unique())
    if uniques.empty:
        return pd.Series(False, index=values.index)
    text = uniques.astype("string[pyarrow]").str.replace(_INVISIBLE, "", regex=True)
    digits = text.str.contains(_SIX_DIGITS, regex=True).fillna(False).astype(bool)
    found = [value for value, t in zip(uniques[digits], text[digits]) if contains(t)]
    return values.isin(found) if found else pd.Series(False, index=values.index)


def check(sheet) -> None:
    """Raise DataError naming each place in a raw sheet that holds a personnummer.

    *sheet* is a :class:`lagesbild.intake.load.Sheet` (text cells and ``_rad``). Columns are
    named by their header, or by their position when the header itself holds one.
    """
    frame, name = sheet.frame, sheet.name
    found = []
    if REDACTED in name:  # load redacts a sheet name holding one
        found.append("bladets namn")
    if contains(sheet.title):
        found.append("raderna ovanför rubrikraden")
    positions = {column: i for i, column in enumerate(sheet.headers, start=1)}
    for column in frame.columns:
        if column == "_rad":
            continue
        header = str(sheet.headers.get(column, column))
        in_header = contains(header) or contains(column)
        label = (f"kolumn {positions.get(column, '?')}" if in_header else
                 f"kolumnen ”{fmt.clean(header[:60], newlines=False)}”")
        mask = suspicious_rows(frame[column])
        if in_header and not mask.any():
            found.append(f"rubriken i {label}")
        elif _HEADER.search(header) or mask.any():
            rows = frame.loc[mask, "_rad"].head(MAX_ROWS_LISTED).tolist()
            more = " …" if mask.sum() > MAX_ROWS_LISTED else ""
            where = f" (till exempel rad {', '.join(map(str, rows))}{more})" if rows else ""
            found.append(f"{label}{where}")
    if found:
        raise DataError(
            f"{name}: {', '.join(found)} ser ut att innehålla personnummer eller "
            "samordningsnummer. Personnummer får inte lagras: ta bort uppgiften ur exporten och "
            "läs in filen igen. Inget från filen har sparats.")


def check_name(name: str) -> str | None:
    """A Swedish problem if the file name *name* holds a personnummer, else None.

    The message names the file by its redacted name only.
    """
    if not contains(name):
        return None
    return (f"Filnamnet ({redact(name)}) ser ut att innehålla ett personnummer eller "
            "samordningsnummer. Byt namn på filen så att inget personnummer står i det och läs "
            "in den igen. Inget från filen har sparats.")
