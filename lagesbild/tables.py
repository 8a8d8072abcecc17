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


BATCH_COLUMNS = ["Batch", "Mått", "Fil", "System", "Uttag", "Period", "Rader lästa",
                 "Rader sparade", "Vem", "Inläst"]


def batches(frame: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """Stored import batches with Swedish headers, newest first."""
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


def data_quality(counts: dict[str, pd.DataFrame], population: pd.DataFrame,
                 cat: Catalogue) -> pd.DataFrame:
    """Per measure: the months covered and every month missing between the first and last."""
    rows = []
    for code, m in cat.measures.items():
        months = pd.DatetimeIndex(counts[code]["month"].unique()) if code in counts else []
        if len(months) == 0:
            rows.append({"Mått": m.short, "Från": "–", "Till": "–", "Månader": "0",
                         "Saknade månader": "inga data"})
            continue
        expected = pd.date_range(months.min(), months.max(), freq="MS")
        missing = expected.difference(months)
        rows.append({
            "Mått": m.short,
            "Från": f"{months.min():%Y-%m}",
            "Till": f"{months.max():%Y-%m}",
            "Månader": fmt.number(len(months)),
            "Saknade månader": ", ".join(f"{x:%Y-%m}" for x in missing) or "inga",
        })
    years = sorted(population["ar"].unique()) if len(population) else []
    missing_years = sorted(set(range(years[0], years[-1] + 1)) - set(years)) if years else []
    rows.append({"Mått": "Befolkning (31 dec)", "Från": str(years[0]) if years else "–",
                 "Till": str(years[-1]) if years else "–", "Månader": "–",
                 "Saknade månader": ("saknade år: " + ", ".join(map(str, missing_years)))
                 if missing_years else ("inga" if years else "inga data")})
    return pd.DataFrame(rows)


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
