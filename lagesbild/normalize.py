"""Normalise values found in source files: postnummer, months, categories."""

from __future__ import annotations

import re

import pandas as pd

_POSTNUMMER = re.compile(r"^[1-9]\d{4}$")
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


def postnummer_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`postnummer`: invalid codes become missing (NA)."""
    uniques = pd.unique(values.astype("object"))
    mapping = {v: postnummer(v) for v in uniques}
    return values.astype("object").map(mapping).astype("string")
