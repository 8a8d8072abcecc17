"""Area analysis: counts and rates by postnummer or larger area, change against last year, and
which areas stand out beyond chance (funnel limits).

``area_table`` returns unprotected numbers; ``views.areas.protect`` is the only way from them
to something shown.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.analysis import aggregate
from lagesbild.config import Measure
from lagesbild.errors import ConfigError, UnknownError
from lagesbild.geo.groupings import Grouping

LEVELS = {"postnummer": "Postnummer", "omrade": "Områden"}
LEVEL_NOUNS = {"postnummer": "postnummer", "omrade": "område"}


# --- the area table --------------------------------------------------------------------------

def _by_area(table: pd.DataFrame, level: str, grouping: Grouping | None) -> pd.DataFrame:
    """Per-postnummer summary → one row per area code (``kod``), counts and population summed."""
    if level == "postnummer":
        out = table.rename(columns={"postnummer": "kod"})
    elif level == "omrade":
        if grouping is None:
            raise ConfigError("Ingen områdesindelning är inläst (LAGESBILD_OMRADEN).")
        codes = table["postnummer"].map(grouping.area_of)
        sums = {"antal": "sum"} | (
            {"befolkning": "sum"} if "befolkning" in table else {})
        out = (table.assign(kod=codes).dropna(subset=["kod"])
               .groupby("kod", sort=False).agg(sums).reset_index())
    else:
        raise UnknownError(f"Okänd nivå ”{level}”. Möjliga: {', '.join(LEVELS)}.")
    cols = ["kod", "antal"] + (["befolkning"] if "befolkning" in out else [])
    return out[cols]


def area_table(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure,
               period: aggregate.Period, level: str = "postnummer",
               grouping: Grouping | None = None, storhet: str | None = None) -> pd.DataFrame:
    """One row per area: count, population, rate, the same period last year and the change.

    Returns unprotected numbers (pass through ``views.areas.protect``, which also tests the
    funnel flags on the published counts). Columns: ``kod``, ``antal``, ``befolkning``,
    ``per_1000``, ``antal_fg``, ``per_1000_fg``, ``forandring`` and ``forandring_pct`` (with
    their cell-key sums). ``attrs["kommun_per_1000"]`` holds the exact municipal rate (for
    analysis only) and ``attrs["kommun"]`` the municipal cell that release publishes.
    """
    if "postnummer" not in measure.dimension_columns:
        raise UnknownError(f"{measure.short} är inte uppdelat på postnummer och kan inte "
                           "visas på kartan.")
    now = _by_area(aggregate.summary(frame, population, measure, period, ["postnummer"],
                                     storhet, all_areas=True), level, grouping)
    before = _by_area(aggregate.summary(frame, population, measure, period.shift_years(-1),
                                        ["postnummer"], storhet, all_areas=True), level,
                      grouping)
    before = before.rename(columns={"antal": "antal_fg", "befolkning": "befolkning_fg"})
    out = now.merge(before, on="kod", how="outer")
    out = out.assign(**{c: out[c].astype("Float64").fillna(0) for c in ("antal", "antal_fg")})
    # A period with a month the measure did not deliver is unknown ("inga uppgifter").
    if aggregate.undelivered(frame, period):
        out = out.assign(antal=float("nan"))
    if aggregate.undelivered(frame, period.shift_years(-1)):
        out = out.assign(antal_fg=float("nan"))
    out = out.assign(forandring=out["antal"] - out["antal_fg"],
                     forandring_pct=(100 * (out["antal"] - out["antal_fg"]) / out["antal_fg"])
                     .where(out["antal_fg"] > 0))
    kommun_rate = None
    if "befolkning" in out:
        out = out.assign(
            per_1000=(1000 * out["antal"] / out["befolkning"]).where(out["befolkning"] > 0),
            per_1000_fg=(1000 * out["antal_fg"] / out["befolkning_fg"])
            .where(out["befolkning_fg"] > 0))
        known = out[out["befolkning"] > 0]
        if known["befolkning"].sum() > 0:
            kommun_rate = 1000 * known["antal"].sum() / known["befolkning"].sum()
            # The funnel flags are tested on published counts (views.areas.protect), not here.
            # The municipal total is a cell of its own: release publishes it (and its rate)
            # like any other, never the exact sum.
            out.attrs["kommun"] = known[["antal", "befolkning"]].sum().to_dict()
    if level == "omrade":
        order = {code: i for i, code in enumerate(grouping.labels)}
        out = out.sort_values("kod", key=lambda s: s.map(order))
    else:
        out = out.sort_values("kod")
    kommun = out.attrs.get("kommun")
    out = out.reset_index(drop=True)
    out.attrs["kommun_per_1000"] = kommun_rate  # exact: for analysis, never for showing
    if kommun is not None:
        out.attrs["kommun"] = kommun
    return out


def members(code: str, level: str, grouping: Grouping | None, known: list[str]) -> list[str]:
    """The postnummer an area consists of."""
    if level == "postnummer":
        return [code]
    return [p for p in known if grouping is not None and grouping.area_of(p) == code]
