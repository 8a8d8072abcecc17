"""Tables ready to show: Swedish headers and formats, built only from protected frames."""

from __future__ import annotations

import pandas as pd

from lagesbild import fmt
from lagesbild.config import Catalogue
from lagesbild.release import disclosure


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


BATCH_COLUMNS = ["Batch", "Mått", "Fil", "System", "Uttag", "Period", "Rader lästa",
                 "Rader sparade", "Vem", "Inläst", "Status"]


def _status(frame: pd.DataFrame) -> pd.Series:
    """"aktiv", or "ångrad 2026-11-30 10:15 av strateg" for an undone batch (a tombstone)."""
    if "undone_at" not in frame:
        return pd.Series("aktiv", index=frame.index)
    when = pd.to_datetime(frame["undone_at"]).dt.strftime("%Y-%m-%d %H:%M")
    who = frame.get("undone_by", pd.Series(pd.NA, index=frame.index))
    text = ("ångrad " + when.fillna("") + (" av " + who.astype("string")).fillna(""))
    return text.where(when.notna(), "aktiv")


def batches(frame: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """Stored import batches with Swedish headers, newest first; undone ones marked "ångrad"."""
    if frame.empty:
        return pd.DataFrame(columns=BATCH_COLUMNS)
    names = {code: m.short for code, m in cat.measures.items()} | {"befolkning": "Befolkning"}
    first = frame.get("first", pd.Series(pd.NA, index=frame.index)).astype("string")
    last = frame.get("last", pd.Series(pd.NA, index=frame.index)).astype("string")
    period = (first + " – " + last).where(first != last, first).fillna("–")
    return pd.DataFrame({
        "Batch": frame["id"],
        "Mått": frame["measure"].map(names).fillna(frame["measure"]),
        "Fil": frame["source"],
        "System": frame["source_system"].fillna("–"),
        "Uttag": pd.to_datetime(frame["extracted"]).dt.strftime("%Y-%m-%d").fillna("–"),
        "Period": period,
        "Rader lästa": frame["rows_read"].map(fmt.number),
        "Rader sparade": frame["rows_stored"].map(fmt.number),
        "Vem": frame["created_by"].fillna("–"),
        "Inläst": pd.to_datetime(frame["created_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        "Status": _status(frame),
    }).iloc[::-1].reset_index(drop=True)


def changes(plan) -> pd.DataFrame:
    """What an import would change (an ``ingest.Plan``): one row per month or year."""
    return pd.DataFrame({
        "Period": [c.period for c in plan.changes],
        "Ändring": ["ersätts" if c.replaces else "ny" for c in plan.changes],
        f"{plan.counted} före": [fmt.number(c.before) if c.replaces else "–"
                                 for c in plan.changes],
        f"{plan.counted} efter": [fmt.number(c.after) for c in plan.changes],
    })


def mark(table: pd.DataFrame, threshold: int, counts: list[str] | None = None,
         decimals: dict[str, int] | None = None, signed: list[str] | None = None
         ) -> pd.DataFrame:
    """Carry the disclosure marker onto a display table built from a protected frame.

    *counts* names the count columns, where a missing value means "hidden" (default: every
    integer column). *decimals* sets decimals per float column (default 1). *signed* names
    columns of changes, shown with a sign: "+4", "−6".
    """
    out = table.copy()
    out.attrs[disclosure.PROTECTED_ATTR] = threshold
    out.attrs["antal"] = list(counts if counts is not None else
                              [c for c in out.columns if pd.api.types.is_integer_dtype(out[c])])
    out.attrs["decimaler"] = dict(decimals or {})
    out.attrs["tecken"] = list(signed or [])
    return out


def count_columns(table: pd.DataFrame) -> list[str]:
    """The columns whose missing values mean "hidden by disclosure control"."""
    if "antal" in table.attrs:
        return [c for c in table.attrs["antal"] if c in table.columns]
    return [c for c in table.columns if pd.api.types.is_integer_dtype(table[c])]


def decimals(table: pd.DataFrame, column) -> int:
    return table.attrs.get("decimaler", {}).get(column, 1)


def as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text ``style`` shows ("3 707", "<5", "6,3", "jan 2025"): for a
    static table, which takes no Styler formats of its own."""
    styler = style(table)
    out = styler.data.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(table[column]):
            out[column] = ["–" if pd.isna(v) else fmt.month_short(v) for v in table[column]]
        elif pd.api.types.is_numeric_dtype(out[column]) and \
                not pd.api.types.is_bool_dtype(out[column]):
            text = _numeric_format(table, column)
            out[column] = ["–" if pd.isna(v) else text(v) for v in out[column]]
    out.attrs = dict(table.attrs)
    return out


def _numeric_format(table: pd.DataFrame, column):
    if column in count_columns(table) or pd.api.types.is_integer_dtype(table[column]):
        return fmt.number
    sign = fmt.signed if column in table.attrs.get("tecken", []) else fmt.number
    return lambda v, d=decimals(table, column), f=sign: f(v, d)


def style(table: pd.DataFrame):
    """A Styler showing Swedish formats: counts "3 707" or "<5" when hidden, rates "6,3",
    months "jan 2025". Cells stay numeric (so columns sort right), except in a column with
    missing values: Streamlit's grid shows a missing cell as "None" whatever the Styler says,
    so such a column is shown as text."""
    threshold = table.attrs.get(disclosure.PROTECTED_ATTR, 5)
    counts = count_columns(table)
    shown = table.copy()
    numeric = {}
    for column in table.columns:
        series = table[column]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            continue
        if column in counts or pd.api.types.is_integer_dtype(series):
            text = fmt.number
        else:
            sign = fmt.signed if column in table.attrs.get("tecken", []) else fmt.number
            text = (lambda v, d=decimals(table, column), f=sign: f(v, d))
        if series.isna().any():
            missing = f"<{threshold}" if column in counts else "–"
            shown[column] = [missing if pd.isna(v) else text(v) for v in series]
        else:
            numeric[column] = text
    styler = shown.style
    for column, text in numeric.items():
        styler = styler.format(text, subset=[column])
    for column in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[column]):
            styler = styler.format(fmt.month_short, subset=[column], na_rep="–")
    return styler
