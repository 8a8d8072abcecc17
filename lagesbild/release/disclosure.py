"""Disclosure control: the only route from aggregated numbers to something shown or exported.

Counts from 1 up to the threshold minus one (1–4 with the default 5) are suppressed: the count
becomes missing, the row is marked ``skyddad`` and every rate built on it is removed, so the
hidden count cannot be worked out from the rate and the population. Zero is shown.
A later step adds complementary suppression of totals.
"""

from __future__ import annotations

import pandas as pd

PROTECTED_ATTR = "skyddad_troskel"


def suppressed(counts: pd.Series, threshold: int) -> pd.Series:
    """True where a count must not be shown."""
    values = pd.to_numeric(counts, errors="coerce")
    return values.gt(0) & values.lt(threshold)


def protect(frame: pd.DataFrame, threshold: int, count_cols: tuple[str, ...] = ("antal",),
            rate_cols: tuple[str, ...] | dict[str, tuple[str, ...]] = ("per_1000",)
            ) -> pd.DataFrame:
    """Return a copy that is safe to show: small counts and their rates removed.

    Parameters
    ----------
    frame : DataFrame
        Aggregated counts (never individual rows).
    threshold : int
        Counts ``0 < n < threshold`` are suppressed.
    count_cols : tuple of str
        Count columns to check; each gets a missing value where suppressed.
    rate_cols : tuple of str, or dict
        Columns derived from the counts (rates, changes, flags); removed on every row where any
        count is suppressed. A dict names, per derived column, the counts it is built from
        (``{"per_1000_fg": ("antal_fg",)}``): it is removed where one of those is suppressed.

    Returns
    -------
    DataFrame
        With nullable integer counts, the rates, and a boolean column ``skyddad`` (the first
        count column is suppressed). The frame
        carries ``attrs["skyddad_troskel"]`` so exports can check it came through here.
    """
    present = [c for c in count_cols if c in frame.columns]
    hidden = {c: suppressed(frame[c], threshold) for c in present}
    out = frame.copy()
    for column in present:
        out[column] = pd.to_numeric(frame[column]).round().astype("Int64").mask(hidden[column])
    if not isinstance(rate_cols, dict):
        rate_cols = {column: tuple(present) for column in rate_cols}
    nothing = pd.Series(False, index=frame.index)
    for column, sources in rate_cols.items():
        if column in out.columns:
            mask = nothing.copy()
            for source in sources:
                mask |= hidden.get(source, nothing)
            out[column] = out[column].mask(mask)
    out["skyddad"] = hidden[present[0]] if present else nothing
    out.attrs[PROTECTED_ATTR] = threshold
    return out


def is_protected(frame: pd.DataFrame) -> bool:
    return PROTECTED_ATTR in frame.attrs and "skyddad" in frame.columns


def complementary(safe: pd.DataFrame, partitions: list[list[str]], count_col: str = "antal",
                  rate_cols: tuple[str, ...] = ("per_1000",)) -> pd.DataFrame:
    """Hide a second count wherever a partition has exactly one hidden count.

    A partition is a set of rows whose sum is shown elsewhere (the sexes of one category,
    the categories of one month): with one hidden cell, that total minus the visible cells
    gives the hidden count back. The smallest other positive count is hidden too; repeat
    until no partition has a single hidden cell.

    Parameters
    ----------
    safe : DataFrame
        Output of ``protect``.
    partitions : list of list of str
        For each kind of partition, the columns that identify one; ``[]`` is the whole frame.
    count_col, rate_cols : str, tuple of str
        The count column and the columns derived from it.

    Returns
    -------
    DataFrame
        A copy, still marked as protected.
    """
    out = safe.copy()
    changed = True
    while changed:
        changed = False
        for keys in partitions:
            groups = ([part.index for _, part in out.groupby(keys, observed=True,
                                                             dropna=False)]
                      if keys else [out.index])
            for index in groups:
                part = out.loc[index]
                if int(part["skyddad"].sum()) != 1:
                    continue
                visible = part.loc[~part["skyddad"] & part[count_col].fillna(0).gt(0),
                                   count_col]
                if visible.empty:
                    continue
                i = visible.astype("int64").idxmin()
                out.loc[i, count_col] = pd.NA
                out.loc[i, "skyddad"] = True
                for column in rate_cols:
                    if column in out.columns:
                        out.loc[i, column] = float("nan")
                changed = True
    out.attrs[PROTECTED_ATTR] = safe.attrs.get(PROTECTED_ATTR)
    return out
