"""Reading the store: the current rows of every measure, population and batches."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from lagesbild.config import Catalogue, Measure
from lagesbild.store.schema import _DIM_SLOTS, _connection, batches, counts, population


def _current_only(query: sa.Select, table: sa.Table, keys: list[str], *where) -> sa.Select:
    """Keep only rows of the newest batch for each value of *keys* (month and storhet, say)."""
    latest = (sa.select(*(table.c[k] for k in keys), sa.func.max(table.c.batch_id)
                        .label("batch_id"))
              .where(*where).group_by(*(table.c[k] for k in keys)).subquery())
    on = [table.c[k] == latest.c[k] for k in keys] + [table.c.batch_id == latest.c.batch_id]
    return query.join_from(table, latest, sa.and_(*on))


def read_counts(engine: sa.Engine, measure: Measure) -> pd.DataFrame:
    """Return one measure's counts in the canonical shape, with categorical dimensions."""
    slots = dict(zip(_DIM_SLOTS, measure.dimensions))
    columns = ["month", *measure.dimension_columns, "storhet", "antal"]
    stored = [counts.c[c] for c in ("month", "postnummer", "kon", "aldersgrupp", *_DIM_SLOTS,
                                     "storhet", "antal")]
    mine = counts.c.measure == measure.code
    query = _current_only(sa.select(*stored), counts, ["month", "storhet"], mine).where(mine)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame = frame.rename(columns=slots)
    frame = frame.assign(month=pd.to_datetime(frame["month"]),
                         antal=frame["antal"].astype("int64"))[columns]
    categorical = {c: _categories(measure, c, frame[c]) for c in columns
                   if c not in ("month", "antal")}
    return frame.astype(categorical).sort_values("month", kind="stable").reset_index(drop=True)


def _categories(measure: Measure, column: str, values: pd.Series) -> pd.CategoricalDtype:
    """Catalogue order for categories, so charts and tables list them as configured."""
    if column in measure.dimensions:
        order = list(measure.dimensions[column].categories)
    elif column == "aldersgrupp":
        order = [g.code for g in measure.age_groups]
    elif column == "storhet":
        order = list(measure.variables)
    elif column == "kon":
        order = ["K", "M"]
    else:
        order = sorted(values.dropna().unique())
    return pd.CategoricalDtype(order)


def read_population(engine: sa.Engine) -> pd.DataFrame:
    """Return population (ar, postnummer, kon, alder, antal)."""
    query = _current_only(sa.select(population.c.ar, population.c.postnummer,
                                    population.c.kon, population.c.alder, population.c.antal),
                          population, ["ar"])
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return frame.astype({"ar": "int64", "alder": "int64", "antal": "int64",
                         "postnummer": "category", "kon": "category"})


def month_totals(engine: sa.Engine | sa.Connection, measure: Measure, storhet: str) -> dict[date, int]:
    """Stored total of one variable per month (what a new batch would replace)."""
    mine = counts.c.measure == measure.code
    query = _current_only(sa.select(counts.c.month, sa.func.sum(counts.c.antal)), counts,
                          ["month", "storhet"], mine).where(mine, counts.c.storhet == storhet)
    with _connection(engine) as conn:
        rows = conn.execute(query.group_by(counts.c.month)).all()
    return {pd.Timestamp(m).date(): int(n) for m, n in rows}


def year_totals(engine: sa.Engine | sa.Connection) -> dict[int, int]:
    """Stored population total per year."""
    query = _current_only(sa.select(population.c.ar, sa.func.sum(population.c.antal)),
                          population, ["ar"])
    with _connection(engine) as conn:
        rows = conn.execute(query.group_by(population.c.ar)).all()
    return {int(y): int(n) for y, n in rows}


def postnummer_codes(engine: sa.Engine) -> set[str]:
    """The postnummer in the stored population: the municipality's areas."""
    with engine.connect() as conn:
        return set(conn.execute(sa.select(population.c.postnummer).distinct()).scalars())


def read_batches(engine: sa.Engine) -> pd.DataFrame:
    """Every batch, oldest first, with the first and last month (or year) it holds.

    Undone batches are listed too (``undone_at`` and ``undone_by`` set; they hold no rows).
    """
    spans = sa.union_all(
        sa.select(counts.c.batch_id,
                  sa.cast(sa.func.min(counts.c.month), sa.String).label("first"),
                  sa.cast(sa.func.max(counts.c.month), sa.String).label("last"))
        .group_by(counts.c.batch_id),
        sa.select(population.c.batch_id,
                  sa.cast(sa.func.min(population.c.ar), sa.String).label("first"),
                  sa.cast(sa.func.max(population.c.ar), sa.String).label("last"))
        .group_by(population.c.batch_id),
    ).subquery()
    query = (sa.select(batches, spans.c["first"], spans.c["last"])
             .join_from(batches, spans, batches.c.id == spans.c.batch_id, isouter=True)
             .order_by(batches.c.id))
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return frame.assign(first=frame["first"].astype("string").str.slice(0, 7),
                        last=frame["last"].astype("string").str.slice(0, 7))


def read_all(engine: sa.Engine, cat: Catalogue) -> dict[str, pd.DataFrame]:
    """Every measure's counts, keyed by measure code."""
    return {code: read_counts(engine, m) for code, m in cat.measures.items()}
