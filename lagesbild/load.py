"""Read source exports (Excel, CSV) into raw frames of text, with our column names.

Handles what Swedish exports do: semicolons, Windows-1252, a BOM, title rows above the header
and "Summa" rows at the bottom. Values are not checked here; that is ``validate``'s job.
Each returned frame keeps the Excel row number of every row in the column ``_rad`` so that
messages can point at it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lagesbild.config import Measure
from lagesbild.errors import DataError

TOTAL_WORDS = {"summa", "totalt", "total", "samtliga", "alla"}

# Headers common to every measure: our column name -> accepted spellings (lower case).
COMMON_HEADERS = {
    "month": ["månad", "period", "år-månad", "ar-manad", "manad"],
    "date": ["datum", "inkomstdatum", "ankomstdatum", "händelsedatum", "registreringsdatum"],
    "postnummer": ["postnummer", "postnr", "post nr", "postnummer (bostad)"],
    "kon": ["kön", "kon"],
    "alder": ["ålder", "alder", "ålder (år)"],
    "aldersgrupp": ["åldersgrupp", "aldersgrupp", "ålderskategori"],
    "ar": ["år", "ar"],
}


@dataclass(frozen=True)
class Sheet:
    """One table read from a file: raw text cells with our column names."""

    name: str  # file name, plus sheet name for workbooks
    frame: pd.DataFrame


def header_map(measure: Measure | None) -> dict[str, str]:
    """Lower-case header spelling -> our column name, for one measure (or population)."""
    mapping = {alias: col for col, aliases in COMMON_HEADERS.items() for alias in aliases}
    if measure is None:
        mapping.update({"antal": "antal", "folkmängd": "antal", "befolkning": "antal"})
        return mapping
    for code, dim in measure.dimensions.items():
        for alias in (code, dim.label, *dim.aliases):
            mapping[alias.strip().lower()] = code
    for code, var in measure.variables.items():
        mapping[var.label.strip().lower()] = code
        mapping[code.replace("_", " ")] = code
    mapping["antal"] = measure.primary.code
    return mapping


def _read_csv_rows(data: bytes, name: str) -> list[list[str]]:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1252 decodes almost anything, but not every byte
        raise DataError(f"{name} har en teckenkodning som inte går att läsa. "
                        "Spara filen som CSV (UTF-8) eller Excel och försök igen.")
    sample = "\n".join(text.splitlines()[:30])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ";"
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_workbook(data: bytes, name: str) -> dict[str, list[list[object]]]:
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, dtype=object,
                               engine="calamine")
    except Exception:  # calamine raises several types for broken files
        raise DataError(f"{name} går inte att läsa som Excel-fil. "
                        "Kontrollera att filen är en .xlsx, .xls eller .ods.") from None
    return {sheet: frame.where(frame.notna(), None).values.tolist()
            for sheet, frame in sheets.items()}


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _table(rows: list[list[object]], mapping: dict[str, str], name: str,
           text: bool) -> Sheet | None:
    """Find the header row, name the columns, drop empty and total rows.

    *text* says every cell is already a string (CSV); workbook cells may be numbers or dates.
    """
    for i, row in enumerate(rows[:30]):
        cells = [_cell_text(c).lower() for c in row]
        if sum(c in mapping for c in cells) >= 2:
            header_index = i
            break
    else:
        return None
    header = [_cell_text(c) for c in rows[header_index]]
    columns = [mapping.get(h.lower(), h) for h in header]
    width = len(header)
    body = [list(r[:width]) + [""] * (width - len(r)) for r in rows[header_index + 1:]]
    frame = pd.DataFrame(body, columns=columns, dtype=object)
    frame = frame.astype("string").apply(lambda col: col.str.strip()) if text else \
        frame.apply(lambda col: col.map(_cell_text)).astype("string")
    frame = frame.assign(_rad=range(header_index + 2, header_index + 2 + len(frame)))
    frame = frame.loc[:, [c for c in frame.columns if c]]  # unnamed columns
    values = frame.drop(columns="_rad")
    nonempty = values.ne("").any(axis=1)
    total = values.iloc[:, 0].str.lower().isin(TOTAL_WORDS)  # "Summa" rows
    return Sheet(name, frame[nonempty & ~total].reset_index(drop=True))


def read_export(data: bytes, name: str, measure: Measure | None) -> list[Sheet]:
    """Read a file's bytes into one raw frame per sheet that has a recognisable header.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        The file name, used for the format and in messages.
    measure : Measure or None
        The measure the file holds, or None for population.

    Returns
    -------
    list of Sheet
        Raw text frames with our column names and the Excel row number in ``_rad``.
    """
    if not data:
        raise DataError(f"{name} är tom.")
    suffix = Path(name).suffix.lower()
    mapping = header_map(measure)
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        tables = {f"{name} (blad {sheet})": rows
                  for sheet, rows in _read_workbook(data, name).items()}
        text = False
    elif suffix in (".csv", ".txt"):
        tables = {name: _read_csv_rows(data, name)}
        text = True
    else:
        raise DataError(f"{name}: filtypen {suffix or '(ingen)'} stöds inte. "
                        "Använd .xlsx, .xls, .ods eller .csv.")
    sheets = [t for t in (_table(rows, mapping, n, text) for n, rows in tables.items()) if t]
    if not sheets:
        raise DataError(f"Hittar ingen rubrikrad i {name}. Kontrollera att rubrikerna "
                        "(till exempel ”Månad” och ”Antal”) står på en egen rad.")
    return sheets
