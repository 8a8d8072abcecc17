"""Kolada's own Excel/CSV export, read into the same rows the API gives (``kolada.COLUMNS``).

For municipalities whose servers cannot reach api.kolada.se: download the table from
kolada.se and read it on the page Import. ``load`` finds the header row under any title rows
(semicolons, decimal commas, Windows-1252 as in other Swedish exports). Two layouts are read:

- long, one value per row: ``Nyckeltal-id`` (or the id in ``Nyckeltal``), ``Kommun-id`` or
  ``Kommun`` (a name we know: the municipality, the county, Riket, the similar ones), ``År``,
  ``Kön`` (Totalt/Kvinnor/Män, optional), ``Värde``, ``Status`` (optional);
- wide, one column per year (``2021``, ``2022`` …) instead of ``År`` and ``Värde``.

A KPI id may also stand in the title rows above the header ("N31816 Vuxna med …").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from lagesbild import fmt
from lagesbild.errors import DataError
from lagesbild.intake import load, personnummer
from lagesbild.intake.kolada import Comparison, frame
from lagesbild.intake.workbook import Limits

KPI_ID = re.compile(r"\b([NU]\d{5})\b")
YEAR = re.compile(r"^(19|20)\d{2}$")

HEADERS = {
    "kpi": ["nyckeltal-id", "nyckeltalsid", "nyckeltal id", "id nyckeltal", "kpi", "kpi-id",
            "kpi id"],
    "nyckeltal": ["nyckeltal", "nyckeltalsnamn", "titel"],
    "kommun": ["kommun-id", "kommunid", "kommunkod", "område-id", "områdes-id", "region-id",
               "municipality", "municipality_id"],
    "omrade": ["kommun", "område", "omrade", "region", "kommun/region", "namn"],
    "ar": ["år", "ar", "period", "year"],
    "kon": ["kön", "kon", "gender"],
    "varde": ["värde", "varde", "utfall", "value"],
    "status": ["status"],
}
SEXES = {"t": "T", "totalt": "T", "total": "T", "alla": "T", "k": "K", "kvinnor": "K",
         "kvinna": "K", "flickor": "K", "m": "M", "män": "M", "man": "M", "pojkar": "M"}
MISSING = {"", "-", "–", "..", "…", "x"}


@dataclass(frozen=True)
class Read:
    """What a Kolada export holds: its values and what could not be used."""

    values: pd.DataFrame
    skipped: list[str]  # one Swedish line per kind of row not read


def _number(text: str) -> float | None:
    text = str(text).strip().replace("\u00a0", "").replace(" ", "")
    if text.lower() in MISSING:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise ValueError(text) from None


def _shown(text: object) -> str:
    """A cell as put in a message or the store: short, no personnummer, no control characters."""
    return fmt.clean(personnummer.redact(str(text))[:40], newlines=False).strip()


def read(data: bytes, name: str, comparison: Comparison,
         limits: Limits | None = None) -> Read:
    """Read a Kolada export into the value rows, with the areas' ids.

    Raises DataError (Swedish, with Excel row numbers) when nothing can be read.
    """
    # As every import: a file holding a personnummer (in its name or any cell) is refused.
    problem = personnummer.check_name(name)
    if problem:
        raise DataError(problem)
    name = fmt.clean(name, newlines=False)
    mapping = {alias: column for column, aliases in HEADERS.items() for alias in aliases}
    mapping |= {str(y): str(y) for y in range(1990, 2101)}  # year columns count as headers
    sheets = load.read_export(data, name, None, headers=mapping, limits=limits)
    ids = {n.strip().lower(): i for i, n in comparison.names().items()}
    ids |= {"hela riket": comparison.riket[0], "riket": comparison.riket[0]}
    # Kolada names the county "Region Norrbotten"; older downloads say "Norrbottens län".
    stem = comparison.lan[1].removeprefix("Region ").strip().lower()
    ids |= {f"{stem}s län": comparison.lan[0], f"{stem} län": comparison.lan[0]}
    for sheet in sheets:
        personnummer.check(sheet)
    rows, problems, unknown_areas = [], [], set()
    for sheet in sheets:
        f = sheet.frame
        title_kpi = KPI_ID.search(sheet.title or "")
        years = [c for c in f.columns if YEAR.match(str(c))]
        if "varde" not in f.columns and years:  # wide: one column per year
            f = f.melt(id_vars=[c for c in f.columns if c not in years], value_vars=years,
                       var_name="ar", value_name="varde")
        if "varde" not in f.columns or "ar" not in f.columns:
            raise DataError(f"{name}: hittar inte kolumnerna ”År” och ”Värde” (eller en kolumn "
                            "per år). Ladda ner tabellen från kolada.se som Excel eller CSV "
                            "och läs in den utan att ändra rubrikerna.")
        for record in f.to_dict("records"):
            where = f"{sheet.name}, rad {record['_rad']}"
            kpi = str(record.get("kpi") or "").strip().upper()
            if not KPI_ID.fullmatch(kpi):
                found = KPI_ID.search(str(record.get("nyckeltal") or "")) or title_kpi
                kpi = found.group(1) if found else ""
            if not kpi:
                problems.append(f"{where}: nyckeltalets id (till exempel N31816) saknas.")
                continue
            area = str(record.get("kommun") or "").strip()
            named = str(record.get("omrade") or "").strip()
            if not re.fullmatch(r"\d{4}|G\d+", area):
                area = ids.get(named.lower(), "")
            # Every area with an id is kept: the similar municipalities are a Kolada group's
            # members (only those are averaged), and every municipality's value gives the
            # rank. A name we do not know cannot be placed.
            if not area:
                unknown_areas.add(_shown(named or area) or "(tomt)")
                continue
            try:
                year = int(str(record["ar"]).strip()[:4])
                value = _number(record["varde"])
            except ValueError:
                problems.append(f"{where}: värdet ”{_shown(record['varde'])}” är inget tal, "
                                f"eller året ”{_shown(record['ar'])}” inget år.")
                continue
            sex = SEXES.get(str(record.get("kon") or "T").strip().lower())
            if sex is None:
                problems.append(f"{where}: kön ”{_shown(record.get('kon'))}” ska vara Totalt, "
                                "Kvinnor eller Män.")
                continue
            rows.append({"kpi": kpi, "kommun": area, "ar": year, "kon": sex, "varde": value,
                         "status": _shown(record.get("status") or ""), "underlag": None})
    if problems:
        raise DataError(f"{name}: {fmt.number(len(problems))} rader går inte att läsa. "
                        + problems[0], problems=problems)
    if not rows:
        raise DataError(f"{name}: inga värden för områden vi jämför med (kommunen, länet, "
                        "riket, liknande kommuner). Kontrollera att exporten har en kolumn "
                        "”Kommun” eller ”Kommun-id”.")
    skipped = []
    if unknown_areas:
        shown = ", ".join(sorted(unknown_areas)[:5])
        skipped.append(f"Rader för {fmt.number(len(unknown_areas))} områden som inte ingår i "
                       f"jämförelsen lästes inte in ({shown}{' …' if len(unknown_areas) > 5 else ''}"
                       ").")
    values = frame(rows).drop_duplicates(["kpi", "kommun", "ar", "kon"], keep="last")
    return Read(values.reset_index(drop=True), skipped)
