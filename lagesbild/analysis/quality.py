"""Data quality: which months each measure covers and which are missing."""

from __future__ import annotations

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Catalogue


def data_quality(counts: dict[str, pd.DataFrame], population: pd.DataFrame,
                 cat: Catalogue) -> pd.DataFrame:
    """Per measure: the months covered and every month missing between the first and the
    newest month any measure has (a published month a measure did not deliver is missing)."""
    rows = []
    covered = {}
    for code in cat.measures:
        frame = counts.get(code)
        known = aggregate.delivered(frame) if frame is not None else None
        covered[code] = (known if known is not None else pd.DatetimeIndex(
            frame["month"].unique()) if frame is not None else pd.DatetimeIndex([]))
    newest = max((m.max() for m in covered.values() if len(m)), default=None)
    for code, m in cat.measures.items():
        months = covered[code]
        if len(months) == 0:
            rows.append({"Mått": m.short, "Från": "–", "Till": "–", "Månader": "0",
                         "Saknade månader": "inga uppgifter"})
            continue
        expected = pd.date_range(months.min(), newest, freq="MS")
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
