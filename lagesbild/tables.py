"""Tables ready to show: Swedish headers and formats, built only from protected frames."""

from __future__ import annotations

import pandas as pd

from lagesbild import disclosure, fmt
from lagesbild.config import Catalogue
from lagesbild.errors import DataError


def measures(cat: Catalogue) -> pd.DataFrame:
    """One row per measure: name, what is counted, dimensions and target population."""
    rows = []
    for m in cat.measures.values():
        rows.append({
            "Mått": m.label,
            "Id": m.code,
            "Räknas": m.counted,
            "Dimensioner": ", ".join(m.dimension_label(d) for d in m.dimension_columns) or "–",
            "Åldersgrupper": ", ".join(g.label for g in m.age_groups) or "–",
            "Målgrupp för andel": m.target.label if m.target else "–",
        })
    return pd.DataFrame(rows)


def batches(frame: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """Stored import batches with Swedish headers, newest first."""
    if frame.empty:
        return pd.DataFrame(columns=["Batch", "Mått", "Fil", "Rader lästa", "Rader sparade",
                                     "Inläst"])
    names = {code: m.short for code, m in cat.measures.items()} | {"befolkning": "Befolkning"}
    return pd.DataFrame({
        "Batch": frame["id"],
        "Mått": frame["measure"].map(names).fillna(frame["measure"]),
        "Fil": frame["source"],
        "Rader lästa": frame["rows_read"].map(fmt.number),
        "Rader sparade": frame["rows_stored"].map(fmt.number),
        "Inläst": pd.to_datetime(frame["created_at"]).dt.strftime("%Y-%m-%d %H:%M"),
    }).iloc[::-1].reset_index(drop=True)


def area_table(safe: pd.DataFrame, names: dict[str, str], threshold: int) -> pd.DataFrame:
    """The table behind a map: postnummer, postort, count ("<5" when hidden), population, rate."""
    if not disclosure.is_protected(safe):
        raise DataError("Tabellen kan bara visa uppgifter som har gått genom röjandekontrollen.")
    return pd.DataFrame({
        "Postnummer": safe["postnummer"].map(fmt.postnummer),
        "Postort": safe["postnummer"].map(names).fillna(""),
        "Antal": [fmt.count(n, h, threshold) for n, h in zip(safe["antal"], safe["skyddad"])],
        "Befolkning": safe["befolkning"].map(fmt.number),
        "Per 1 000": safe["per_1000"].map(lambda v: fmt.number(v, 1)),
    })


def mark(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Carry the disclosure marker onto a display table built from a protected frame."""
    out = table.copy()
    out.attrs[disclosure.PROTECTED_ATTR] = threshold
    return out


def style(table: pd.DataFrame):
    """A Styler showing Swedish formats: counts "3 707" or "<5" when hidden, rates "6,3",
    months "jan 2025". Cells stay numeric (so columns sort right), except in a column with
    missing values: Streamlit's grid shows a missing cell as "None" whatever the Styler says,
    so such a column is shown as text."""
    threshold = table.attrs.get(disclosure.PROTECTED_ATTR, 5)
    shown = table.copy()
    numeric = []
    for column in table.columns:
        series = table[column]
        if pd.api.types.is_integer_dtype(series) and series.isna().any():
            shown[column] = [f"<{threshold}" if pd.isna(v) else fmt.number(v) for v in series]
        elif pd.api.types.is_float_dtype(series) and series.isna().any():
            shown[column] = [fmt.number(v, 1) for v in series]
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            numeric.append(column)
    styler = shown.style
    for column in numeric:
        decimals = 1 if pd.api.types.is_float_dtype(table[column]) else 0
        styler = styler.format(lambda v, d=decimals: fmt.number(v, d), subset=[column])
    for column in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[column]):
            styler = styler.format(fmt.month_short, subset=[column], na_rep="–")
    return styler
