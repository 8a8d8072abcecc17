"""Codes every stage shares: what a Swedish postnummer is, which age group an age falls in,
the code population is stored under, and converting distinct values once.

Intake normalises the postnummer of source files with these, geo those of polygon layers.
"""

from __future__ import annotations

import re

import pandas as pd

_POSTNUMMER = re.compile(r"^[1-9]\d{4}$")

POPULATION = "befolkning"  # the population's "measure" in imports, batches and profiles


_SEPARATORS = re.compile(r"[\s\u00a0\-]")


def postnummer(value: object) -> str | None:
    """Return a five-digit postnummer string, or None if *value* is not one.

    Accepts "972 31", "97231", 97231, 97231.0, "SE-972 31" and "S-97231".
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().upper()
    for prefix in ("SE-", "SE ", "S-"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    text = _SEPARATORS.sub("", text)
    return text if _POSTNUMMER.match(text) else None


def by_value(values: pd.Series, convert) -> pd.Series:
    """``convert`` applied to each distinct value once and spread back over *values*.

    Exports repeat a few thousand dates and a handful of codes over 100 000 rows; converting
    the distinct values only is what keeps an import fast.
    """
    codes, uniques = pd.factorize(values)
    converted = convert(pd.Series(uniques, dtype=values.dtype))
    return pd.Series(converted.array.take(codes, allow_fill=True), index=values.index)


def postnummer_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`postnummer`: invalid codes become missing (NA)."""
    return by_value(values, lambda codes: codes.astype("object").map(postnummer)
                    .astype("string"))


def age_groups(ages: pd.Series, groups) -> pd.Series:
    """The age-group code of each age (single years); missing where no group holds it."""
    out = pd.Series(pd.NA, index=ages.index, dtype="object")
    for g in groups:
        out = out.mask(ages.ge(g.low) & (ages.le(g.high) if g.high is not None else True),
                       g.code)
    return out
