"""Check canonical frames against their schemas and explain failures in Swedish."""

from __future__ import annotations

import pandas as pd
import pandera.errors

from lagesbild.config import Catalogue, Measure
from lagesbild.errors import DataError
from lagesbild.intake.schemas import Population, counts_schema

_CHECKS = {
    "isin": "finns inte i katalogens lista",
    "str_matches": "har fel format",
    "greater_than_or_equal_to": "är för litet",
    "less_than_or_equal_to": "är för stort",
    "first_of_month": "är inte den första i månaden",
    "field_uniqueness": "förekommer flera gånger",
    "multiple_fields_uniqueness": "är en dubblerad rad",
    "column_in_dataframe": "saknas",
    "column_in_schema": "hör inte till måttet",
    "not_nullable": "saknar värde",
    "dtype": "har fel datatyp",
}


def _explain(err: pandera.errors.SchemaErrors, what: str, limit: int = 12) -> str:
    cases = err.failure_cases
    lines = []
    for row in cases.head(limit).itertuples(index=False):
        check = str(row.check).split("(")[0]
        reason = _CHECKS.get(check, f"bryter mot regeln {row.check}")
        column = row.column if isinstance(row.column, str) else "(hela tabellen)"
        lines.append(f"kolumn ”{column}”, värde ”{row.failure_case}”: {reason}")
    more = len(cases) - len(lines)
    tail = f"\n… och {more} fel till." if more > 0 else ""
    return f"{what} klarar inte kontrollen:\n" + "\n".join(lines) + tail


def _as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    # Checked as pandas strings: pandera tests object columns one Python value at a time.
    return frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object})


def counts(frame: pd.DataFrame, measure: Measure, cat: Catalogue) -> pd.DataFrame:
    """Validate a measure's canonical counts; raise DataError listing every problem."""
    try:
        counts_schema(measure, cat).validate(_as_strings(frame), lazy=True)
        return frame
    except pandera.errors.SchemaErrors as err:
        raise DataError(_explain(err, f"Data för {measure.short}")) from None


def population(frame: pd.DataFrame) -> pd.DataFrame:
    """Validate population rows; raise DataError listing every problem."""
    try:
        Population.validate(_as_strings(frame), lazy=True)
        return frame
    except pandera.errors.SchemaErrors as err:
        raise DataError(_explain(err, "Befolkningsdata")) from None
