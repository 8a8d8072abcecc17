"""Dataframe schemas, declared once (pandera).

Two canonical shapes are stored: monthly counts and population. The fixed part of each is a
pandera model; the category checks of a measure are built from the catalogue, never copied.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from lagesbild.config import Catalogue, Measure

POSTNUMMER_PATTERN = r"^[1-9]\d{4}$"


class MonthlyCounts(pa.DataFrameModel):
    """Fixed columns of every measure's monthly counts."""

    month: Series[pd.Timestamp] = pa.Field(title="Månad")
    storhet: Series[str] = pa.Field(title="Storhet")
    antal: Series[int] = pa.Field(ge=0, title="Antal")

    @pa.check("month", name="first_of_month")
    def _first_of_month(cls, s: Series[pd.Timestamp]) -> Series[bool]:
        return s.dt.day == 1

    class Config:
        strict = False


class Population(pa.DataFrameModel):
    """Population on 31 December of each year, by postnummer, sex and single year of age."""

    ar: Series[int] = pa.Field(ge=1900, le=2100, title="År")
    postnummer: Series[str] = pa.Field(str_matches=POSTNUMMER_PATTERN, title="Postnummer")
    kon: Series[str] = pa.Field(isin=["K", "M"], title="Kön")
    alder: Series[int] = pa.Field(ge=0, le=100, title="Ålder")
    antal: Series[int] = pa.Field(ge=0, title="Antal")

    class Config:
        strict = True
        unique = ["ar", "postnummer", "kon", "alder"]


def counts_schema(measure: Measure, cat: Catalogue) -> pa.DataFrameSchema:
    """The full schema of one measure's counts, with category checks from the catalogue."""
    columns: dict[str, pa.Column] = {
        "storhet": pa.Column(str, pa.Check.isin(list(measure.variables)), title="Storhet"),
    }
    if measure.has_postnummer:
        columns["postnummer"] = pa.Column(
            str, pa.Check.str_matches(POSTNUMMER_PATTERN), title="Postnummer")
    if measure.has_sex:
        # Variables counted without sex (akutboende's places) have no value here.
        columns["kon"] = pa.Column(str, pa.Check.isin(list(cat.sex_labels)), nullable=True,
                                   title="Kön")
    if measure.age_groups:
        columns["aldersgrupp"] = pa.Column(
            str, pa.Check.isin([g.code for g in measure.age_groups]), title="Åldersgrupp")
        # Single years where the source has them (missing where it has age groups only).
        columns["alder"] = pa.Column("Int64", pa.Check.in_range(0, 120), nullable=True,
                                     title="Ålder")
    for code, dim in measure.dimensions.items():
        columns[code] = pa.Column(str, pa.Check.isin(list(dim.categories)), title=dim.label)
    keys = ["month", *measure.dimension_columns, *(["alder"] if measure.age_groups else []),
            "storhet"]
    base = MonthlyCounts.to_schema()
    return pa.DataFrameSchema(
        columns={**base.columns, **columns},
        strict=True,
        unique=keys,
        name=f"counts_{measure.code}",
    )
