"""Tables that describe the catalogue and the stored batches, in Swedish, for the Om data page."""

from __future__ import annotations

import pandas as pd

from lagesbild import fmt
from lagesbild.config import Catalogue


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
