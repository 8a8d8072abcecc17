"""The personnummer guard: stop any file or typed text that holds a personnummer or
samordningsnummer.

The dashboard needs counts, not people. The one detector (:mod:`lagesbild.pnr`: normalise,
then every separator pattern, samordningsnummer too) is applied here to every text that
enters: every cell of a file (free text too, and a number split over two neighbouring
cells), headers, the rows above and below a table, sheet and file names, cell comments,
document properties, defined names and hidden sheets (``load`` collects those), and every
field a user types (:func:`refuse_typed`, called by ``store.process`` and ``profiles``).

Values found are never put in a message or a log: messages name the place only, a header
holding one is named by its position, and :func:`redact` replaces one in a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import pandas as pd

from lagesbild import fmt
from lagesbild.errors import DataError
from lagesbild.pnr import REDACTED, contains, is_personnummer, normalise, redact

__all__ = ["REDACTED", "check", "check_hidden", "check_name", "contains", "is_personnummer",
           "normalise", "redact", "refuse_typed", "suspicious_rows"]

# A cheap pre-filter on raw text, in C (Arrow): ten digits of any kind, whatever between.
_TEN_DIGITS = r"(?:[\p{Nd}\p{No}][^\p{Nd}\p{No}]*){10}"
# Headers that announce personnummer even when the values are masked.
_HEADER = re.compile(r"person\s*-?\s*n(umme)?r|^pnr$|samordningsn|personid", re.IGNORECASE)
MAX_ROWS_LISTED = 5


def suspicious_rows(values: pd.Series) -> pd.Series:
    """Boolean mask of the cells in *values* (text) that hold something like a personnummer."""
    # Each distinct value once, filtered in C (Arrow) to those with ten digits somewhere.
    uniques = pd.Series(values.dropna().unique())
    if uniques.empty:
        return pd.Series(False, index=values.index)
    text = uniques.astype(str).astype("string[pyarrow]")
    digits = text.str.contains(_TEN_DIGITS, regex=True).fillna(False).astype(bool)
    found = [value for value in uniques[digits] if contains(value)]
    return values.isin(found) if found else pd.Series(False, index=values.index)


def _split_over_cells(frame: pd.DataFrame) -> list[tuple[str, str, int]]:
    """Pairs of neighbouring columns where a date part in one cell and four digits in the
    next make a personnummer (check digit too): (column, next column, first row)."""
    columns = [c for c in frame.columns if c != "_rad"]
    # Each distinct value once (an export repeats a few hundred values over many rows): which
    # are a date part alone, which four digits alone.
    shapes = {}
    for column in columns:
        uniques = frame[column].dropna().unique()
        shapes[column] = (
            {v for v in uniques if len(v) <= 24 and re.fullmatch(r"(?:[0-9]{2})?[0-9]{6}",
                                                                 normalise(v).strip())},
            {v for v in uniques if len(v) <= 16 and re.fullmatch(r"[0-9]{4}",
                                                                 normalise(v).strip())})
    found = []
    for left, right in zip(columns, columns[1:]):
        dates, fours = shapes[left][0], shapes[right][1]
        if not dates or not fours:
            continue
        pair = frame[left].isin(dates) & frame[right].isin(fours)
        for i in pair[pair].index:
            if contains(normalise(frame.at[i, left]).strip() +
                        normalise(frame.at[i, right]).strip()):
                found.append((left, right, int(frame.at[i, "_rad"])))
                break
    return found


def _refusal(name: str, found: list[str]) -> DataError:
    return DataError(
        f"{name}: {', '.join(found)} ser ut att innehålla personnummer eller "
        "samordningsnummer. Personnummer får inte lagras: ta bort uppgiften ur exporten och "
        "läs in filen igen. Inget från filen har sparats.")


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
    if contains(getattr(sheet, "rest", "")):
        found.append("summa- eller notraderna under tabellen")
    positions = {column: i for i, column in enumerate(sheet.headers, start=1)}

    def label(column: str) -> str:
        header = str(sheet.headers.get(column, column))
        if contains(header) or contains(column):
            return f"kolumn {positions.get(column, '?')}"
        return f"kolumnen ”{fmt.clean(normalise(header)[:60], newlines=False)}”"

    for column in frame.columns:
        if column == "_rad":
            continue
        header = str(sheet.headers.get(column, column))
        in_header = contains(header) or contains(column)
        mask = suspicious_rows(frame[column])
        if in_header and not mask.any():
            found.append(f"rubriken i {label(column)}")
        elif _HEADER.search(normalise(header)) or mask.any():
            rows = frame.loc[mask, "_rad"].head(MAX_ROWS_LISTED).tolist()
            more = " …" if mask.sum() > MAX_ROWS_LISTED else ""
            where = f" (till exempel rad {', '.join(map(str, rows))}{more})" if rows else ""
            found.append(f"{label(column)}{where}")
    if not found:
        for left, right, row in _split_over_cells(frame):
            found.append(f"{label(left)} och {label(right)} tillsammans (till exempel rad {row})")
    if found:
        raise _refusal(name, found)


def check_hidden(places: Mapping[str, Iterable[str]], name: str) -> None:
    """Raise DataError if a hidden place of a file holds a personnummer.

    *places* maps a Swedish description of the place (``"en cellkommentar"``,
    ``"dokumentegenskaperna"``) to its texts. The message says the file holds one there,
    since the user may not see the place in Excel.
    """
    found = [place for place, texts in places.items() if any(contains(t) for t in texts)]
    if found:
        raise DataError(
            f"{name}: filen innehåller ett personnummer eller samordningsnummer i "
            f"{' och '.join(found)}. Det syns kanske inte i Excel, men följer med filen. "
            "Personnummer får inte lagras: ta bort uppgiften (eller spara tabellen i en ny "
            "fil) och läs in filen igen. Inget från filen har sparats.")


def check_name(name: str) -> str | None:
    """A Swedish problem if the file name *name* holds a personnummer, else None.

    The message names the file by its redacted name only.
    """
    if not contains(name):
        return None
    return (f"Filnamnet ({fmt.clean(redact(name), newlines=False)}) ser ut att innehålla ett "
            "personnummer eller samordningsnummer. Byt namn på filen så att inget "
            "personnummer står i det och läs in den igen. Inget från filen har sparats.")


def refuse_typed(fields: Mapping[str, object]) -> None:
    """Raise DataError if a text a user typed holds a personnummer.

    *fields* maps the field's Swedish label to what was typed (None or "" for nothing).
    The message names the field, never the number.
    """
    for label, value in fields.items():
        if value is not None and contains(value):
            raise DataError(
                f"Fältet ”{label}” ser ut att innehålla ett personnummer eller "
                "samordningsnummer. Personnummer får inte sparas i lägesbilden: ta bort "
                "uppgiften och försök igen. Inget har sparats.")
