"""Which areas to prioritise: every area against every measure at once, ranked by how many
measures flag it above the municipal level and how strongly.

Takes one area table per measure (``kod``, ``per_1000``, ``flagga``, ``tecken``) — the
view passes the *published* tables, so the ranking rests on what users can see — and returns
one row per area.
"""

from __future__ import annotations

import pandas as pd

RANK_COLUMNS = ["kod", "over", "tecken_over", "styrka", "under"]


def rank(tables: dict[str, pd.DataFrame], municipal: dict[str, float | None]) -> pd.DataFrame:
    """One row per area: ``over`` (measures flagged above at 99,8 %), ``tecken_over`` (above
    the 95 % limit only), ``styrka`` (the sum, over measures flagged above at either level, of
    the area's rate divided by the municipal rate) and ``under`` (flagged below). Sorted most
    flagged first; ties by strength, then code.

    Parameters
    ----------
    tables : dict
        Per measure code, an area table with ``kod``, ``per_1000``, ``flagga``, ``tecken``.
    municipal : dict
        Per measure code, the municipal rate per 1 000 the flags compare with.
    """
    parts = []
    for code, table in tables.items():
        if "flagga" not in table:
            continue
        level = municipal.get(code)
        over = table["flagga"].eq("över")
        weak = table["tecken"].eq("över") & ~over
        ratio = (table["per_1000"].astype(float) / level) if level else pd.Series(
            0.0, index=table.index)
        parts.append(pd.DataFrame({
            "kod": table["kod"], "over": over.astype(int), "tecken_over": weak.astype(int),
            "styrka": ratio.where(over | weak, 0.0).fillna(0.0),
            "under": table["flagga"].eq("under").astype(int)}))
    if not parts:
        return pd.DataFrame(columns=RANK_COLUMNS)
    out = pd.concat(parts).groupby("kod", as_index=False).sum()
    return out.sort_values(["over", "tecken_over", "styrka", "kod"],
                           ascending=[False, False, False, True], ignore_index=True)
