"""Normalise values found in source files: postnummer, months, categories."""

from __future__ import annotations

import re

# --- source rows -> canonical monthly counts ---------------------------------------------
from dataclasses import dataclass, field  # noqa: E402

import pandas as pd

from lagesbild import fmt
from lagesbild.codes import (age_groups, by_value, postnummer,  # noqa: E402, F401
                             postnummer_series)
from lagesbild.config import Catalogue, Measure  # noqa: E402
from lagesbild.errors import DataError  # noqa: E402
from lagesbild.intake import dates, personnummer  # noqa: E402
from lagesbild.intake.load import TOTAL_WORDS  # noqa: E402

MAX_LISTED = 12
MAX_SHOWN = 60  # characters of a value quoted in a problem
MAX_COUNT = 1_000_000  # the most one row may count: far above any month of a municipality
MAX_AGE = 120


def shown(value: object) -> str:
    """A file's value as quoted in a problem: personnummer redacted, control characters and
    direction overrides removed (see :func:`lagesbild.fmt.clean`), long text shortened."""
    text = fmt.clean(personnummer.redact("" if value is None or value is pd.NA else
                                         str(value)), newlines=False)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


EARLIEST_YEAR = dates.EARLIEST_YEAR


@dataclass
class Problems:
    """Problems found while normalising, each with file, row, column and value.

    ``unknown`` collects, per column, the category values nobody has mapped yet.
    """

    items: list[str] = field(default_factory=list)
    unknown: dict[str, list[str]] = field(default_factory=dict)

    def add(self, sheet: str, rows: pd.Series, column: str, values: pd.Series, what: str):
        for row, value in zip(rows.tolist(), values.tolist()):
            self.items.append(
                f"{sheet}, rad {row}, kolumn ”{column}”: ”{shown(value)}” {what}")

    def raise_if_any(self):
        if self.items:
            shown = self.items[:MAX_LISTED]
            more = len(self.items) - len(shown)
            tail = f"\n… och {more} problem till." if more > 0 else ""
            raise DataError("Filen kan inte användas:\n" + "\n".join(shown) + tail,
                            problems=list(self.items), unknown=dict(self.unknown))


def _plausible(months: pd.Series) -> pd.Series:
    """True for months from EARLIEST_YEAR up to the current month."""
    now = pd.Timestamp.today().to_period("M").to_timestamp()
    return months.isna() | ((months >= pd.Timestamp(EARLIEST_YEAR, 1, 1)) & (months <= now))


def _month(frame: pd.DataFrame, sheet: str, problems: Problems,
           date_format: str = "") -> pd.Series:
    source = "month" if "month" in frame.columns else "date"
    text = frame[source].str.strip()
    parsed, why = dates.parse(text, date_format)
    label = "Månad" if source == "month" else "Datum"
    bad = why.eq(dates.INVALID)
    if bad.any():
        problems.add(sheet, frame.loc[bad, "_rad"], label, text[bad],
                     "är inget datum (skriv till exempel 2025-03-26, 2025-03 eller "
                     "26.03.2025).")
    unclear = why.eq(dates.AMBIGUOUS)
    if unclear.any():
        problems.add(sheet, frame.loc[unclear, "_rad"], label, text[unclear],
                     "kan läsas både dag först och månad först (03/10/2026 är 3 oktober i "
                     "Sverige men 10 mars i USA). Skriv datumen som 2026-10-03, eller ange "
                     "formatet i källprofilen: datumformat: DD/MM/ÅÅÅÅ.")
    months = parsed.dt.to_period("M").dt.to_timestamp()
    odd = ~_plausible(months)
    if odd.any():
        now = pd.Timestamp.today()
        problems.add(sheet, frame.loc[odd, "_rad"], label, text[odd],
                     f"ligger utanför rimligt intervall ({EARLIEST_YEAR}-01 – "
                     f"{now:%Y-%m}). Kontrollera årtalet.")
    return months


def _mapped(frame, column, label, lookup, sheet, problems, what) -> pd.Series:
    """Map source values onto codes; unmapped values are problems and listed as unknown."""
    text = frame[column].str.strip()
    result = by_value(text, lambda values: values.str.lower().map(lookup).astype(object))
    bad = result.isna()
    if bad.any():
        problems.add(sheet, frame.loc[bad, "_rad"], label, text[bad], what)
        # A value is offered for mapping (and may be written into a profile) only if it is
        # short, holds no control characters and cannot be a personnummer.
        offered = [v for v in pd.unique(text[bad].astype(object)) if v == shown(v)]
        if offered:
            seen = problems.unknown.setdefault(column, [])
            seen.extend(v for v in offered if v not in seen)
    return result


UNMAPPED = "finns inte i katalogens lista (mappa värdet på sidan Data eller i profilen)."


def _duplicates(key: pd.DataFrame, rows: pd.Series, sheet: str, what: str,
                problems: Problems) -> None:
    """Report rows whose *key* repeats an earlier row's (rows with missing values aside)."""
    key = key.dropna(axis=1, how="all")
    key = key[key.notna().all(axis=1)]
    repeated = key.duplicated(keep="first")
    if not repeated.any():
        return
    first = rows[key.index].groupby([key[c] for c in key.columns]).transform("first")
    for row, earlier in zip(rows[repeated[repeated].index].tolist(),
                            first[repeated].tolist()):
        problems.items.append(f"{sheet}, rad {row}: dubblerad rad, samma {what} som rad "
                              f"{earlier}. Ta bort dubbletten; annars räknas den två gånger.")


def age_columns(measure: Measure) -> list[str]:
    """The single-year age column a measure's counts carry beside the age group."""
    return ["alder"] if measure.age_groups else []


def _age_group(frame, measure: Measure, sheet, problems, extra: dict
               ) -> tuple[pd.Series, pd.Series]:
    """Each row's age group, and its age in whole years where the file has single years
    (missing where it has groups only). The store keeps the ages, so that any later age
    grouping can be derived from them."""
    if "aldersgrupp" in frame.columns:
        lookup = {}
        for g in measure.age_groups:
            for spelling in (g.code, g.label, g.code.replace("-", "–"), g.label.replace(" år", "")):
                lookup[spelling.lower()] = g.code
        groups = _mapped(frame, "aldersgrupp", "Åldersgrupp", lookup | extra, sheet, problems,
                         "är ingen åldersgrupp i katalogen (mappa värdet på sidan Data eller "
                         "i profilen).")
        return groups, pd.Series(pd.NA, index=frame.index, dtype="Int64")
    ages = _whole_numbers(frame, "alder", "Ålder", sheet, problems,
                          "är ingen ålder i hela år (skriv till exempel 4).", MAX_AGE,
                          r"\+?")
    bins = age_groups(ages.astype("float64"), measure.age_groups)
    bad = bins.isna() & ages.notna()
    if bad.any():
        problems.add(sheet, frame.loc[bad, "_rad"], "Ålder", frame.loc[bad, "alder"],
                     "ligger utanför måttets åldersgrupper.")
    return bins, ages.astype("Int64")


def _whole_numbers(frame, column, label, sheet, problems, what: str, most: int,
                   suffix: str = "") -> pd.Series:
    """Whole numbers 0 … *most* of a text column (Int64, missing where a problem was listed).

    Accepts "1 234" (spaces as thousands separators) and "12,0"/"12.0"; everything else
    (empty, "okänd", "4 år", "inf", "1e19", "-3", "2,5", 20 digits) is a problem of its row.
    """
    def convert(texts: pd.Series) -> pd.Series:
        clean = texts.str.replace(r"[\s\u00a0\u202f]", "", regex=True)
        plain = clean.str.fullmatch(rf"\d{{1,15}}(?:[.,]0+)?{suffix}").fillna(False).astype(bool)
        digits = clean.where(plain).str.replace(rf"(?:[.,]0+)?{suffix}$", "", regex=True)
        return pd.to_numeric(digits, errors="coerce").astype("Int64")

    number = by_value(frame[column].fillna(""), convert).astype("Int64")
    bad = number.isna()
    if bad.any():
        problems.add(sheet, frame.loc[bad, "_rad"], label, frame.loc[bad, column], what)
    large = ~bad & (number > most)
    if large.any():
        problems.add(sheet, frame.loc[large, "_rad"], label, frame.loc[large, column],
                     f"är orimligt stort (högst {fmt.number(most)}). Kontrollera värdet.")
    return number.mask(large)


def _integer(frame, column, label, sheet, problems) -> pd.Series:
    number = _whole_numbers(frame, column, label, sheet, problems, "är inget heltal ≥ 0.",
                            MAX_COUNT)
    return number.fillna(0).astype("int64")


def _postnummer(frame, name, problems, known: set[str] | None, kommun: str) -> pd.Series:
    codes = postnummer_series(frame["postnummer"])
    bad = codes.isna()
    if bad.any():
        problems.add(name, frame.loc[bad, "_rad"], "Postnummer", frame.loc[bad, "postnummer"],
                     "är inget giltigt postnummer (fem siffror, till exempel 972 31).")
    if known:
        outside = ~bad & ~codes.isin(known)
        if outside.any():
            problems.add(name, frame.loc[outside, "_rad"], "Postnummer",
                         frame.loc[outside, "postnummer"],
                         f"finns inte bland kommunens postnummer ({kommun}): okänt eller "
                         "utanför kommunen.")
    return codes


def counts(sheets: list, measure: Measure, cat: Catalogue, *,
           values: dict[str, dict[str, str]] | None = None,
           known_postnummer: set[str] | None = None,
           date_format: str = "") -> tuple[pd.DataFrame, int]:
    """Turn raw sheets of one measure into canonical monthly counts.

    Parameters
    ----------
    sheets : list of load.Sheet
        Raw frames from :func:`lagesbild.intake.load.read_export`.
    measure : Measure
        The measure the sheets hold.
    cat : Catalogue
        The catalogue, for sex codes.
    values : dict, optional
        A profile's value mapping: column -> lower-case source value -> catalogue code.
    known_postnummer : set of str, optional
        The municipality's postnummer; others are reported. None skips the check.
    date_format : str, optional
        The profile's ``datumformat`` for ambiguous dates such as 03/10/2026.

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
    problems, values = Problems(), values or {}
    parts, rows_read = [], 0
    for sheet in sheets:
        frame, name = sheet.frame, sheet.name
        rows_read += len(frame)
        variables = [v for v in measure.variables if v in frame.columns]
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
        out = pd.DataFrame({"month": _month(frame, name, problems, date_format)}, index=frame.index)
        if measure.has_postnummer:
            out["postnummer"] = _postnummer(frame, name, problems, known_postnummer,
                                            cat.kommun)
        if measure.has_sex:
            out["kon"] = (None if "kon" not in frame.columns else
                          _mapped(frame, "kon", "Kön", cat.sex_aliases | values.get("kon", {}),
                                  name, problems, "är inget känt kön (till exempel Kvinna/Man)."))
        if measure.age_groups:
            out["aldersgrupp"], out["alder"] = _age_group(frame, measure, name, problems,
                                                          values.get("aldersgrupp", {}))
        for code, dim in measure.dimensions.items():
            lookup = {}
            for key, label in dim.categories.items():
                lookup[key.lower()] = key
                lookup[label.lower()] = key
            out[code] = _mapped(frame, code, dim.label, lookup | values.get(code, {}), name,
                                problems, UNMAPPED)
        if "id" in frame.columns:  # a case or event id named by the profile
            _duplicates(frame[["id"]], frame["_rad"], name, "id", problems)
        elif variables:  # two count rows for the same cell would be added together
            age = [c for c in ("alder", "aldersgrupp") if c in frame.columns]
            key = out.drop(columns=["aldersgrupp", "alder"], errors="ignore").assign(
                **{c: frame[c].str.lower() for c in age})
            _duplicates(key, frame["_rad"], name, "månad och dimensioner", problems)
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
    keys = ["month", *measure.dimension_columns, *age_columns(measure), "storhet"]
    tidy = (pd.concat(parts, ignore_index=True)
            .groupby(keys, dropna=False, observed=True, sort=True)["antal"].sum()
            .reset_index())
    tidy = tidy[tidy["antal"] > 0].reset_index(drop=True)
    return tidy.astype({c: "Int64" if c == "alder" else "object" for c in keys
                        if c != "month"}), rows_read


_YEAR_HEADER = re.compile(r"(?:^|\D)((?:19|20)\d{2})(?:\D|$)")
_REGION = re.compile(r"^(?:SE-?\s*)?(\d{3}\s?\d{2})(?:\s|$)")


def _wide_years(frame: pd.DataFrame) -> pd.DataFrame:
    """PX-Web layout (one column per year, stub cells left blank below the first) -> long."""
    years = {c: m.group(1) for c in frame.columns if (m := _YEAR_HEADER.search(str(c)))
             and c not in ("ar", "antal", "_rad")}
    if not years:
        return frame  # the check for missing columns names År and Antal
    stubs = [c for c in ("postnummer", "kon", "alder") if c in frame.columns]
    filled = frame.assign(**{c: frame[c].mask(frame[c].eq("")).ffill().fillna("")
                             for c in stubs})
    long = filled.melt(id_vars=[*stubs, "_rad"], value_vars=list(years), var_name="ar",
                       value_name="antal")
    return long.assign(ar=long["ar"].map(years)).astype({"ar": "string", "antal": "string"})


def _first_group(values: pd.Series, pattern: re.Pattern) -> pd.Series:
    """The first group of *pattern* in each value (the value itself if it does not match)."""
    def first(value):
        found = pattern.match(value)
        return found.group(1) if found else value

    return by_value(values, lambda texts: texts.astype("object").map(first).astype("string"))


_AGE = re.compile(r"^\s*(\d+)")


def population(sheets: list, cat: Catalogue, *,
               known_postnummer: set[str] | None = None) -> tuple[pd.DataFrame, int]:
    """Turn raw SCB sheets into population rows (ar, postnummer, kon, alder, antal).

    Reads a plain long table (År, Postnummer, Kön, Ålder, Antal) and PX-Web exports
    ("Folkmängd efter region, ålder och kön": region, ålder, kön and one column per year,
    with title rows, blank repeated cells and footnotes). Ages may be written "5 år" or
    "100+ år"; total rows ("totalt") are left out.
    """
    problems, parts, rows_read = Problems(), [], 0
    for sheet in sheets:
        frame, name = sheet.frame, sheet.name
        rows_read += len(frame)
        if "antal" not in frame.columns and "ar" not in frame.columns:
            frame = _wide_years(frame)
        missing = [label for c, label in (("ar", "År"), ("postnummer", "Postnummer/Region"),
                                          ("kon", "Kön"), ("alder", "Ålder"), ("antal", "Antal"))
                   if c not in frame.columns]
        if missing:
            problems.items.append(f"{name}: kolumner saknas: {', '.join(missing)}. "
                                  "Kontrollera att rubrikraden står överst i exporten.")
            continue
        totals = tuple(TOTAL_WORDS)  # "totalt", "totalt ålder"
        total = (frame["kon"].str.lower().str.startswith(totals)
                 | frame["alder"].str.lower().str.startswith(totals))
        frame = frame[~total]
        # "97231 Luleå", "972 31", "SE-972 31" -> the postnummer
        frame = frame.assign(postnummer=_first_group(frame["postnummer"], _REGION))
        kommun = frame["postnummer"].str.fullmatch(r"\d{4}\b.*").fillna(False).astype(bool)
        if kommun.any():
            problems.add(name, frame.loc[kommun, "_rad"], "Region",
                         frame.loc[kommun, "postnummer"],
                         "är en kommun, inte ett postnummerområde. Befolkningen behövs per "
                         "postnummer.")
            frame = frame[~kommun]
        codes = _postnummer(frame, name, problems, known_postnummer, cat.kommun)
        years = _integer(frame, "ar", "År", name, problems)
        odd = (years < 1968) | (years > pd.Timestamp.today().year)
        if odd.any():
            problems.add(name, frame.loc[odd, "_rad"], "År", frame.loc[odd, "ar"],
                         "ligger utanför rimligt intervall (1968 – i år).")
        ages = _first_group(frame["alder"], _AGE)  # "5 år", "100+ år"
        part = pd.DataFrame({
            "ar": years,
            "postnummer": codes,
            "kon": _mapped(frame, "kon", "Kön", cat.sex_aliases, name, problems,
                           "är inget känt kön."),
            "alder": _integer(frame.assign(alder=ages), "alder", "Ålder", name, problems),
            "antal": _integer(frame, "antal", "Antal", name, problems),
        })
        _duplicates(part[["ar", "postnummer", "kon", "alder"]], frame["_rad"], name,
                    "år, postnummer, kön och ålder", problems)
        parts.append(part.assign(alder=part["alder"].clip(upper=100)))
    problems.raise_if_any()
    frame = pd.concat(parts, ignore_index=True)
    frame = (frame.groupby(["ar", "postnummer", "kon", "alder"], as_index=False)["antal"].sum())
    return frame.astype({"postnummer": "object", "kon": "object"}), rows_read
