"""Normalise values found in source files: postnummer, months, categories."""

from __future__ import annotations

import re

import pandas as pd

_POSTNUMMER = re.compile(r"^[1-9]\d{4}$")
_SEPARATORS = re.compile(r"[\s\u00a0\-]")


def postnummer(value: object) -> str | None:
    """Return a five-digit postnummer string, or None if *value* is not one.

    Accepts "972 31", "97231", 97231, 97231.0, "SE-972 31" and "S-97231".
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().upper()
    for prefix in ("SE-", "SE ", "S-"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = _SEPARATORS.sub("", text)
    return text if _POSTNUMMER.match(text) else None


def postnummer_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`postnummer`: invalid codes become missing (NA)."""
    uniques = pd.unique(values.astype("object"))
    mapping = {v: postnummer(v) for v in uniques}
    return values.astype("object").map(mapping).astype("string")


# --- source rows -> canonical monthly counts ---------------------------------------------

from dataclasses import dataclass, field  # noqa: E402

from lagesbild.config import Catalogue, Measure  # noqa: E402
from lagesbild.errors import DataError  # noqa: E402

MAX_LISTED = 12


@dataclass
class Problems:
    """Problems found while normalising, each with file, row, column and value."""

    items: list[str] = field(default_factory=list)

    def add(self, sheet: str, rows: pd.Series, column: str, values: pd.Series, what: str):
        for row, value in zip(rows.tolist(), values.tolist()):
            self.items.append(f"{sheet}, rad {row}, kolumn ”{column}”: ”{value}” {what}")

    def raise_if_any(self):
        if self.items:
            shown = self.items[:MAX_LISTED]
            more = len(self.items) - len(shown)
            tail = f"\n… och {more} problem till." if more > 0 else ""
            raise DataError("Filen kan inte användas:\n" + "\n".join(shown) + tail)


def _month(frame: pd.DataFrame, sheet: str, problems: Problems) -> pd.Series:
    source = "month" if "month" in frame.columns else "date"
    text = frame[source].str.strip()
    # "2019-01", "2019-01-15", "2019-01-15 00:00:00", "201901"
    compact = text.str.replace(r"^(\d{4})(\d{2})$", r"\1-\2", regex=True)
    parsed = pd.to_datetime(compact.str.slice(0, 10), errors="coerce", format="mixed")
    bad = parsed.isna()
    if bad.any():
        label = "Månad" if source == "month" else "Datum"
        problems.add(sheet, frame.loc[bad, "_rad"], label, text[bad],
                     "är inget datum (skriv till exempel 2025-03 eller 2025-03-26).")
    return parsed.dt.to_period("M").dt.to_timestamp()


def _mapped(frame, column, label, lookup, sheet, problems, what) -> pd.Series:
    text = frame[column].str.strip()
    result = text.str.lower().map(lookup)
    bad = result.isna()
    if bad.any():
        problems.add(sheet, frame.loc[bad, "_rad"], label, text[bad], what)
    return result


def age_groups(ages: pd.Series, groups) -> pd.Series:
    """The age-group code of each age (single years); missing where no group holds it."""
    out = pd.Series(pd.NA, index=ages.index, dtype="object")
    for g in groups:
        out = out.mask(ages.ge(g.low) & (ages.le(g.high) if g.high is not None else True),
                       g.code)
    return out


def _age_group(frame, measure: Measure, sheet, problems) -> pd.Series:
    if "aldersgrupp" in frame.columns:
        lookup = {}
        for g in measure.age_groups:
            for spelling in (g.code, g.label, g.code.replace("-", "–"), g.label.replace(" år", "")):
                lookup[spelling.lower()] = g.code
        return _mapped(frame, "aldersgrupp", "Åldersgrupp", lookup, sheet, problems,
                       "är ingen åldersgrupp i katalogen.")
    age = pd.to_numeric(frame["alder"].str.replace("+", "", regex=False), errors="coerce")
    bins = age_groups(age, measure.age_groups)
    bad = bins.isna()
    if bad.any():
        problems.add(sheet, frame.loc[bad, "_rad"], "Ålder", frame.loc[bad, "alder"],
                     "ligger utanför måttets åldersgrupper.")
    return bins


def _integer(frame, column, label, sheet, problems) -> pd.Series:
    try:  # the common case: plain digits
        number = pd.to_numeric(frame[column])
    except (ValueError, TypeError):  # "1 234", "12,0" and worse: clean, then report the rest
        text = frame[column].str.replace(r"[\s\u00a0]", "", regex=True).str.replace(",", ".")
        number = pd.to_numeric(text, errors="coerce")
    bad = number.isna() | (number < 0) | (number % 1 != 0)
    if bad.any():
        problems.add(sheet, frame.loc[bad, "_rad"], label, frame.loc[bad, column],
                     "är inget heltal ≥ 0.")
    return number.fillna(0).astype("int64")


def counts(sheets: list, measure: Measure, cat: Catalogue) -> tuple[pd.DataFrame, int]:
    """Turn raw sheets of one measure into canonical monthly counts.

    Parameters
    ----------
    sheets : list of load.Sheet
        Raw frames from :func:`lagesbild.load.read_export`.
    measure : Measure
        The measure the sheets hold.
    cat : Catalogue
        The catalogue, for sex codes.

    Returns
    -------
    (DataFrame, int)
        Counts per month and dimension values (columns ``month``, the measure's dimensions,
        ``storhet``, ``antal``) and the number of source rows read.

    Raises
    ------
    DataError
        With every problem found, each naming file, row, column and value.
    """
    problems = Problems()
    parts, rows_read = [], 0
    for sheet in sheets:
        frame, name = sheet.frame, sheet.name
        rows_read += len(frame)
        variables = [v for v in measure.variables if v in frame.columns]
        needed = ["month" if "month" in frame.columns else "date"]
        if "month" not in frame.columns and "date" not in frame.columns:
            problems.items.append(f"{name}: kolumnen ”Månad” (eller ”Datum”) saknas. "
                                  "Kontrollera att rubrikraden står överst i exporten.")
            continue
        without_sex = variables and all(measure.variables[v].without_sex for v in variables)
        required = {"postnummer": measure.has_postnummer,
                    "kon": measure.has_sex and not without_sex}
        for column, is_needed in required.items():
            if is_needed and column not in frame.columns:
                label = measure.dimension_label(column)
                problems.items.append(f"{name}: kolumnen ”{label}” saknas. "
                                      "Kontrollera att rubrikraden står överst i exporten.")
        if measure.age_groups and not {"alder", "aldersgrupp"} & set(frame.columns):
            problems.items.append(f"{name}: kolumnen ”Ålder” eller ”Åldersgrupp” saknas.")
        for code, dim in measure.dimensions.items():
            if code not in frame.columns:
                problems.items.append(f"{name}: kolumnen ”{dim.label}” saknas.")
        if problems.items:
            continue
        out = pd.DataFrame({"month": _month(frame, name, problems)}, index=frame.index)
        if measure.has_postnummer:
            codes = postnummer_series(frame["postnummer"])
            bad = codes.isna()
            if bad.any():
                problems.add(name, frame.loc[bad, "_rad"], "Postnummer",
                             frame.loc[bad, "postnummer"],
                             "är inget giltigt postnummer (fem siffror, till exempel 972 31).")
            out["postnummer"] = codes
        if measure.has_sex:
            out["kon"] = (None if "kon" not in frame.columns else
                          _mapped(frame, "kon", "Kön", cat.sex_aliases, name, problems,
                                  "är inget känt kön (till exempel Kvinna/Man)."))
        if measure.age_groups:
            out["aldersgrupp"] = _age_group(frame, measure, name, problems)
        for code, dim in measure.dimensions.items():
            lookup = {}
            for key, label in dim.categories.items():
                lookup[key.lower()] = key
                lookup[label.lower()] = key
            out[code] = _mapped(frame, code, dim.label, lookup, name, problems,
                                "finns inte i katalogens lista.")
        if variables:
            for v in variables:
                part = out.assign(storhet=v, antal=_integer(frame, v, measure.variables[v].label,
                                                             name, problems))
                if measure.variables[v].without_sex and "kon" in part.columns:
                    part = part.assign(kon=None)
                parts.append(part)
        else:  # one row per event
            parts.append(out.assign(storhet=measure.primary.code, antal=1))
    problems.raise_if_any()
    keys = ["month", *measure.dimension_columns, "storhet"]
    tidy = (pd.concat(parts, ignore_index=True)
            .groupby(keys, dropna=False, observed=True, sort=True)["antal"].sum()
            .reset_index())
    tidy = tidy[tidy["antal"] > 0].reset_index(drop=True)
    return tidy.astype({c: "object" for c in keys if c != "month"}), rows_read


def population(sheets: list, cat: Catalogue) -> tuple[pd.DataFrame, int]:
    """Turn raw SCB-like sheets (År, Postnummer, Kön, Ålder, Antal) into population rows."""
    problems, parts, rows_read = Problems(), [], 0
    for sheet in sheets:
        frame, name = sheet.frame, sheet.name
        rows_read += len(frame)
        missing = [c for c in ("ar", "postnummer", "kon", "alder", "antal")
                   if c not in frame.columns]
        if missing:
            problems.items.append(f"{name}: kolumner saknas: {', '.join(missing)}.")
            continue
        codes = postnummer_series(frame["postnummer"])
        bad = codes.isna()
        if bad.any():
            problems.add(name, frame.loc[bad, "_rad"], "Postnummer",
                         frame.loc[bad, "postnummer"], "är inget giltigt postnummer.")
        parts.append(pd.DataFrame({
            "ar": _integer(frame, "ar", "År", name, problems),
            "postnummer": codes,
            "kon": _mapped(frame, "kon", "Kön", cat.sex_aliases, name, problems,
                           "är inget känt kön."),
            "alder": _integer(frame.assign(alder=frame["alder"].str.replace("+", "")), "alder",
                              "Ålder", name, problems).clip(upper=100),
            "antal": _integer(frame, "antal", "Antal", name, problems),
        }))
    problems.raise_if_any()
    frame = pd.concat(parts, ignore_index=True)
    frame = (frame.groupby(["ar", "postnummer", "kon", "alder"], as_index=False)["antal"].sum())
    return frame.astype({"postnummer": "object", "kon": "object"}), rows_read
