"""Disclosure control: the only route from aggregated numbers to something shown or exported.

Every count of events (a column named ``antal…``) is published through the cell key method
(:mod:`lagesbild.release.cellkey`): its true value plus a small noise fixed by the cell's
key, so the same cell has the same value wherever it is shown, and no difference of published
cells gives a hidden one back exactly. A published value from 1 up to the threshold minus one
(1–4 with the default 5) is then suppressed: the count becomes missing and the row is marked
``skyddad``. Zero is shown: a zero has no rows behind it and is never perturbed.

Rates, changes and flags are computed again from the published counts, never from the true
ones, and rounded: a rate times its population gives back the published count, nothing more.
Population columns (``befolkning…``) are public statistics; small ones are suppressed only.
"""

from __future__ import annotations

import pandas as pd

from lagesbild.errors import LagesbildError
from lagesbild.release import cellkey

PROTECTED_ATTR = "skyddad_troskel"
RATE_DECIMALS = 1
# Derived columns computed again from published counts: name -> (function, its inputs).
DERIVED = {
    "per_1000": (lambda f: 1000 * f["antal"] / f["befolkning"], ("antal", "befolkning")),
    "per_1000_fg": (lambda f: 1000 * f["antal_fg"] / f["befolkning_fg"],
                    ("antal_fg", "befolkning_fg")),
    "forandring": (lambda f: f["antal"] - f["antal_fg"], ("antal", "antal_fg")),
    "forandring_pct": (lambda f: 100 * (f["antal"] - f["antal_fg"]) / f["antal_fg"],
                       ("antal", "antal_fg")),
}


class DisclosureError(LagesbildError):
    """A table of event counts reached release without its cell keys (a programming error)."""


def suppressed(counts: pd.Series, threshold: int) -> pd.Series:
    """True where a count must not be shown."""
    values = pd.to_numeric(counts, errors="coerce")
    return values.gt(0) & values.lt(threshold)


def _keyed(column: str) -> bool:
    return column.startswith("antal")


def protect(frame: pd.DataFrame, threshold: int, count_cols: tuple[str, ...] = ("antal",),
            rate_cols: tuple[str, ...] | dict[str, tuple[str, ...]] = ("per_1000",)
            ) -> pd.DataFrame:
    """Return a copy that is safe to show: counts perturbed, small ones removed, rates redone.

    Parameters
    ----------
    frame : DataFrame
        Aggregated counts (never individual rows). Each event count column ``antal…`` must
        come with its key sum (``nyckel…``, see :func:`cellkey.key_column`), summed over the
        same rows as the count.
    threshold : int
        Published counts ``0 < n < threshold`` are suppressed.
    count_cols : tuple of str
        Count columns to publish: event counts (``antal…``) are perturbed and suppressed,
        population counts (``befolkning…``) only suppressed.
    rate_cols : tuple of str, or dict
        Columns derived from the counts. Rates and changes in :data:`DERIVED` are computed
        again from the published counts; any other derived column (a flag) is removed on every
        row where one of its counts is suppressed. A dict names, per derived column, the counts
        it is built from (``{"flagga": ("antal",)}``).

    Returns
    -------
    DataFrame
        Nullable integer counts, the rates, a boolean column ``skyddad`` (the first count
        column is suppressed), no key columns, and ``attrs["skyddad_troskel"]`` so exports can
        check it came through here.
    """
    present = [c for c in count_cols if c in frame.columns]
    out = frame.copy()
    hidden = {}
    for column in present:
        if _keyed(column):
            keys = cellkey.key_column(column)
            if keys not in frame.columns:
                raise DisclosureError(
                    f"Intern kontroll: kolumnen {column} saknar cellnycklar och kan inte visas.")
            published = cellkey.perturb(frame[column], frame[keys])
        else:
            published = pd.to_numeric(frame[column]).round().astype("Int64")
        hidden[column] = suppressed(published, threshold)
        out[column] = published.mask(hidden[column])
    if not isinstance(rate_cols, dict):
        rate_cols = {column: tuple(present) for column in rate_cols}
    nothing = pd.Series(False, index=frame.index)
    for column in set(rate_cols) | set(DERIVED):
        if column not in out.columns:
            continue
        if column in DERIVED and all(c in out.columns for c in DERIVED[column][1]):
            formula, inputs = DERIVED[column]
            numbers = out[list(inputs)].astype("Float64")
            value = formula(numbers)
            # No rate over an empty population or a zero base.
            value = value.mask(numbers[inputs[-1]].fillna(0) == 0) \
                if column != "forandring" else value
            out[column] = value.astype("Float64").round(RATE_DECIMALS).astype(float)
        else:
            mask = nothing.copy()
            for source in rate_cols.get(column, tuple(present)):
                mask |= hidden.get(source, nothing)
            out[column] = out[column].mask(mask)
    out = out.drop(columns=[c for c in out.columns if c.startswith(cellkey.KEY)])
    out["skyddad"] = hidden[present[0]] if present else nothing
    out.attrs[PROTECTED_ATTR] = threshold
    return out


def is_protected(frame: pd.DataFrame) -> bool:
    return PROTECTED_ATTR in frame.attrs and "skyddad" in frame.columns


def conceal_concentration(safe: pd.DataFrame, groups: list[str], threshold: int,
                          count_col: str = "antal") -> pd.DataFrame:
    """Zeros that would tell what a few people share are shown as "<threshold" too.

    In a breakdown (reasons, reporters, age groups …) where every report of a group falls in
    one category and there are fewer than twice the threshold of them, the zeros say which
    category all of them are in: anyone who knows one person in the group learns why they
    were reported. Those zeros are hidden ("few or none"), so the breakdown no longer tells.

    Parameters
    ----------
    safe : DataFrame
        Output of :func:`protect` (one row per category, or per category and sex).
    groups : list of str
        Columns that identify a group within the table (``["kon"]`` when the sexes are side
        by side; ``[]`` for the whole table).
    """
    out = safe.copy()
    parts = [part.index for _, part in out.groupby(groups, observed=True, dropna=False)] \
        if groups else [out.index]
    for index in parts:
        counts = out.loc[index, count_col]
        hidden = out.loc[index, "skyddad"]
        nonzero = hidden | counts.fillna(0).gt(0)
        if int(nonzero.sum()) != 1 or len(index) < 2:
            continue
        only = counts[nonzero].iloc[0]
        if pd.isna(only) or only < 2 * threshold:
            zeros = index[~nonzero.to_numpy()]
            out.loc[zeros, count_col] = pd.NA
            out.loc[zeros, "skyddad"] = True
            for column in out.columns:
                if column.startswith(("per_1000", "forandring")):
                    out.loc[zeros, column] = float("nan")
    out.attrs[PROTECTED_ATTR] = safe.attrs.get(PROTECTED_ATTR)
    return out
