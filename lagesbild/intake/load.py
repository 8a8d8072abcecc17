"""Read source exports (Excel, CSV) into raw frames of text, with our column names.

Handles what Swedish exports do: semicolons, Windows-1252, a BOM, title rows above the header
and "Summa" rows at the bottom. Values are not checked here; that is ``validate``'s job.
Each returned frame keeps the Excel row number of every row in the column ``_rad`` so that
messages can point at it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lagesbild import fmt
from lagesbild.config import Measure
from lagesbild.errors import DataError
from lagesbild.intake import personnummer, workbook
from lagesbild.intake.workbook import Limits

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
    headers: dict[str, str] = field(default_factory=dict)  # our column -> header in the file
    title: str = ""  # text of the rows above the header
    rest: str = ""  # text of what below the header is not kept: sums, notes, cells past it


# "Uttag ur Combine 2026-11-05", "Uttagsdatum: 2026-11-05", "Hämtad 2026-11-05"
_EXTRACTED = re.compile(r"(?:uttag\w*|hämtad|extraherad|framtagen)\D{0,20}(\d{4}-\d{2}-\d{2})",
                        re.IGNORECASE)


def extraction_date(sheets: list[Sheet]) -> dt.date | None:
    """The extraction date written in a title row ("Uttag ur Combine 2026-11-05"), if any."""
    for sheet in sheets:
        found = _EXTRACTED.search(sheet.title)
        if found:
            try:
                return dt.date.fromisoformat(found.group(1))
            except ValueError:
                return None
    return None


def _safe(text: str) -> str:
    """A sheet name or header as put in a message: no personnummer, no control characters."""
    return fmt.clean(personnummer.redact(text), newlines=False)


def header_map(measure: Measure | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Lower-case header spelling -> our column name, for one measure (or population).

    *extra* (a profile's column mapping, lower-case header -> column) takes precedence.
    """
    mapping = {alias: col for col, aliases in COMMON_HEADERS.items() for alias in aliases}
    if measure is None:
        mapping.update({"antal": "antal", "folkmängd": "antal", "befolkning": "antal",
                        "region": "postnummer", "postnummerområde": "postnummer"})
        return mapping | (extra or {})
    for code, dim in measure.dimensions.items():
        for alias in (code, dim.label, *dim.aliases):
            mapping[alias.strip().lower()] = code
    for code, var in measure.variables.items():
        mapping[var.label.strip().lower()] = code
        mapping[code.replace("_", " ")] = code
    mapping["antal"] = measure.primary.code
    return mapping | (extra or {})


def _decode(data: bytes, name: str) -> str:
    """A CSV file's text: UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text", with
    a BOM or without, little or big endian) or Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        head = data[:4096]
        even, odd = head[0::2].count(0), head[1::2].count(0)
        # ASCII text in UTF-16 has a zero in every other byte; other text has none.
        if len(head) >= 4 and odd > len(head) // 4 and even == 0:
            encodings = ("utf-16-le",)
        elif len(head) >= 4 and even > len(head) // 4 and odd == 0:
            encodings = ("utf-16-be",)
        else:
            encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1252 decodes almost anything, but not every byte
        raise DataError(f"{name} har en teckenkodning som inte går att läsa. "
                        "Spara filen som CSV (UTF-8) eller Excel och försök igen.")
    # Windows, old Mac and Unix line ends, mixed in one file when exports are pasted together.
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _read_csv_rows(data: bytes, name: str) -> list[list[str]]:
    text = _decode(data, name)
    sample = "\n".join(text.splitlines()[:30])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ";"
    try:
        return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error:  # a cell over csv's field limit (131 072 characters), a stray NUL
        raise DataError(f"{name} går inte att läsa som CSV: en cell är för lång (över "
                        f"{fmt.number(csv.field_size_limit())} tecken) eller filen innehåller "
                        "tecken som inte hör hemma i en CSV-fil. Kontrollera exporten, eller "
                        "spara den som Excel och försök igen.") from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def _column_text(values: pd.Series) -> pd.Series:
    """Workbook cells (text, numbers, dates) as text, converted once per distinct value."""
    if pd.api.types.infer_dtype(values, skipna=False) == "string":  # the common case
        return values.astype("string").str.strip()
    uniques = pd.unique(values)
    return values.map(dict(zip(uniques, map(_cell_text, uniques)))).astype("string")


def _all_text(sheet: str, rows: list[list[object]]) -> str:
    """Every cell of a sheet (and its name) as one text, for the personnummer guard."""
    cells = pd.Series([c for row in rows for c in row if c is not None and c != ""],
                      dtype=object)
    found = personnummer.suspicious_rows(cells.map(_cell_text)) if len(cells) else cells
    return "\n".join([sheet, *cells[found].map(_cell_text)]) if len(cells) else sheet


def _letter(index: int) -> str:
    """0 -> "A", 26 -> "AA": the column letter Excel shows."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


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
    # A column without a header is named after its Excel letter, and kept if it holds
    # anything: the personnummer guard must see it.
    header = [h or f"kolumn {_letter(i)}" for i, h in enumerate(header)]
    columns = [mapping.get(h.lower(), h) for h in header]
    seen: dict[str, int] = {}
    for i, column in enumerate(columns):
        if column in seen and column not in mapping.values():  # two "Kommentar": both dropped
            columns[i] = f"{column} ({_letter(i)})"
        elif column in seen:  # two "Antal", or "Kön" and "Kon": which one counts?
            shown = fmt.clean(personnummer.redact(header[i])[:60], newlines=False)
            raise DataError(f"{name}: rubriken ”{shown}” står i två kolumner "
                            f"({_letter(seen[column])} och {_letter(i)}), eller två rubriker "
                            "betyder samma sak. Ta bort eller byt namn på den ena och läs in "
                            "filen igen.")
        seen[column] = i
    title = "\n".join(" ".join(_cell_text(c) for c in r if _cell_text(c))
                      for r in rows[:header_index])
    width = len(header)
    body = rows[header_index + 1:]
    past = [" ".join(_cell_text(c) for c in r[width:]) for r in body if len(r) > width]
    if any(len(r) != width for r in body):  # CSV rows may be short or long
        body = [list(r[:width]) + [""] * (width - len(r)) for r in body]
    frame = pd.DataFrame(body, columns=columns, dtype=object)
    frame = frame.astype("string").apply(lambda col: col.str.strip()) if text else \
        frame.apply(_column_text)
    unnamed_empty = [c for c in columns if c.startswith("kolumn ") and not frame[c].ne("").any()]
    frame = frame.drop(columns=unnamed_empty).assign(
        _rad=range(header_index + 2, header_index + 2 + len(frame)))
    values = frame.drop(columns="_rad")
    filled = values.ne("").sum(axis=1)
    total = values.iloc[:, 0].str.lower().isin(TOTAL_WORDS)  # "Summa" rows
    # Text in the first cell only, below a table of three or more columns, is a note
    # ("Källa: SCB", a footnote), not data.
    note = (filled == 1) & values.iloc[:, 0].ne("") & (values.shape[1] >= 3)
    keep = (filled > 0) & ~total & ~note
    # What is not kept is not stored either, but the personnummer guard reads it all.
    rest = "\n".join([" ".join(map(str, r)) for r in values[~keep & (filled > 0)].to_numpy().tolist()]
                     + past)
    return Sheet(name, frame[keep].reset_index(drop=True), dict(zip(columns, header)), title,
                 rest)


def read_export(data: bytes, name: str, measure: Measure | None,
                headers: dict[str, str] | None = None,
                limits: Limits | None = None) -> list[Sheet]:
    """Read a file's bytes into one raw frame per sheet that has a recognisable header.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        The file name, used for the format and in messages.
    measure : Measure or None
        The measure the file holds, or None for population.
    headers : dict, optional
        A profile's column mapping (lower-case header -> our column), on top of the
        catalogue's labels and aliases.
    limits : Limits, optional
        How large a file and its sheets may be (default: the settings' defaults).

    Returns
    -------
    list of Sheet
        Raw text frames with our column names and the Excel row number in ``_rad``.
    """
    if not data:
        raise DataError(f"{name} är tom.")
    limits = limits or Limits()
    suffix = Path(name).suffix.lower()
    mapping = header_map(measure, headers)
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        workbook.inspect(data, name, limits, _safe)
        places, hidden = workbook.hidden_places(data, name)
        personnummer.check_hidden(places, name)
        parsed = workbook.parse(data, name, limits, _safe)
        built = {sheet: _table(rows, mapping, f"{name} (blad {_safe(sheet)})", False)
                 for sheet, rows in parsed.items() if sheet not in hidden}
        # A hidden sheet, or one without a table, is not read, but may hold a personnummer.
        personnummer.check_hidden({
            "ett dolt blad": [_all_text(s, r) for s, r in parsed.items() if s in hidden],
            "ett blad utan rubrikrad": [_all_text(s, parsed[s]) for s, t in built.items()
                                        if t is None]}, name)
        sheets = [t for t in built.values() if t]
    elif suffix in (".csv", ".txt"):
        workbook.check_size(data, name, limits)
        tables = {name: _read_csv_rows(data, name)}
        if len(tables[name]) > limits.rows:
            raise DataError(f"{name} är för stor: {fmt.number(len(tables[name]))} rader. "
                            f"Högst {fmt.number(limits.rows)} rader läses in. Dela upp "
                            "exporten, till exempel en fil per månad.")
        sheets = [t for t in [_table(tables[name], mapping, name, True)] if t]
    else:
        raise DataError(f"{name}: filtypen {suffix or '(ingen)'} stöds inte. "
                        "Använd .xlsx, .xls, .ods eller .csv.")
    if not sheets:
        raise DataError(f"Hittar ingen rubrikrad i {name}. Kontrollera att rubrikerna "
                        "(till exempel ”Månad” och ”Antal”) står på en egen rad.")
    return sheets
