"""Data quality: which months each measure covers and which are missing."""

from __future__ import annotations

import pandas as pd

from lagesbild import fmt
from lagesbild.config import Catalogue


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
