"""The display rule on published numbers: the last step before anything is shown or exported.

The protection itself happened once, when the month was published (:mod:`.publish`,
:mod:`.topdown`): every count a view sums comes from the release, so it is already protected
and every total is the sum of its parts. What is left here is what Swedish readers expect
of official statistics: a published count from 1 up to the threshold minus one (1–4 with
the default 5) is shown as "<5" (missing here, the row marked ``skyddad``). It is a display
rule, not the protection: the number behind "<5" is the published, noisy one, and a total
minus its visible parts gives that, not the true count.

Rates, changes and flags are computed again from the published counts and rounded.
Population columns (``befolkning…``) are public statistics; small ones are shown as "<5"
too. A frame that has been through :func:`protect` carries ``attrs["skyddad_troskel"]``;
exports refuse any other.
"""

from __future__ import annotations

import pandas as pd


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


def suppressed(counts: pd.Series, threshold: int) -> pd.Series:
    """True where a count must not be shown."""
    values = pd.to_numeric(counts, errors="coerce")
    return (values.gt(0) & values.lt(threshold)).fillna(False).astype(bool)


def protect(frame: pd.DataFrame, threshold: int, count_cols: tuple[str, ...] = ("antal",),
            rate_cols: tuple[str, ...] | dict[str, tuple[str, ...]] = ("per_1000",)
            ) -> pd.DataFrame:
    """Return a copy to show: small counts as "<threshold", rates redone from the counts.

    Parameters
    ----------
    frame : DataFrame
        Sums of published counts (from a release, see :mod:`lagesbild.views.source`).
    threshold : int
        Counts ``0 < n < threshold`` are shown as "<threshold".
    count_cols : tuple of str
        Count columns: event counts (``antal…``) and population counts (``befolkning…``).
    rate_cols : tuple of str, or dict
        Columns derived from the counts. Rates and changes in :data:`DERIVED` are computed
        again from the published counts; any other derived column (a flag) is removed on every
        row where one of its counts is suppressed. A dict names, per derived column, the counts
        it is built from (``{"flagga": ("antal",)}``).

    Returns
    -------
    DataFrame
        Nullable integer counts, the rates, a boolean column ``skyddad`` (the first count
        column is shown as "<threshold"), and ``attrs["skyddad_troskel"]`` so exports can
        check it came through here.
    """
    present = [c for c in count_cols if c in frame.columns]
    out = frame.copy()
    hidden = {}
    for column in present:
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
    out["skyddad"] = hidden[present[0]] if present else nothing
    out.attrs[PROTECTED_ATTR] = threshold
    return out


def is_protected(frame: pd.DataFrame) -> bool:
    return PROTECTED_ATTR in frame.attrs and "skyddad" in frame.columns
