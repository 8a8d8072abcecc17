"""Reading the store: the current rows of every measure, population and batches.

Counts and population are read from each batch's columnar copy (``columnar``): a million
stored rows in a fraction of a second instead of seven. Which rows are current (the newest
batch for each month) is worked out in pandas.
"""

from __future__ import annotations

import json
import logging
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from lagesbild import fmt
from lagesbild.codes import POPULATION, age_groups
from lagesbild.config import Catalogue, Measure
from lagesbild.errors import ConfigError
from lagesbild.store import columnar
from lagesbild.store.schema import _connection, batch_arrow, batches, counts, population

log = logging.getLogger(__name__)


def _current_only(query: sa.Select, table: sa.Table, keys: list[str], *where) -> sa.Select:
    """Keep only rows of the newest batch for each value of *keys* (month and storhet, say)."""
    latest = (sa.select(*(table.c[k] for k in keys), sa.func.max(table.c.batch_id)
                        .label("batch_id"))
              .where(*where).group_by(*(table.c[k] for k in keys)).subquery())
    on = [table.c[k] == latest.c[k] for k in keys] + [table.c.batch_id == latest.c.batch_id]
    return query.join_from(table, latest, sa.and_(*on))


def _arrow(engine: sa.Engine, schema: pa.Schema, table: sa.Table, *where,
           months: tuple[date, date] | None = None) -> pd.DataFrame:
    """The rows of the batches *where* selects that are not undone, from their columnar
    copies (of *months* only, if given); batches without one are read from their rows."""
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(batches.c.id, batch_arrow.c.rows)
            .join_from(batches, batch_arrow, batches.c.id == batch_arrow.c.batch_id,
                       isouter=True)
            .where(batches.c.undone_at.is_(None), *where).order_by(batches.c.id)).all()
        parts = [columnar.decode(data) for _, data in found if data is not None]
        bare = [int(i) for i, data in found if data is None]
        if bare:  # written before the copies existed
            columns = [table.c[f.name] for f in schema]
            query = sa.select(*columns).where(table.c.batch_id.in_(bare))
            if months is not None:
                query = query.where(table.c.month.between(*months))
            parts.append(columnar.table(pd.read_sql(query, conn), schema))
    if months is not None:  # filtered in Arrow, before any Python object is made
        first, last = (pa.scalar(m, pa.date32()) for m in months)
        parts = [p.filter(pc.and_(pc.greater_equal(p["month"], first),
                                  pc.less_equal(p["month"], last))) for p in parts]
    return columnar.to_frame(parts, schema)


def _rows(engine: sa.Engine, measure: str | None = None, batch: int | None = None,
          months: tuple[date, date] | None = None) -> pd.DataFrame:
    """Stored count rows (every batch's, or one batch's, or some months'): categoricals,
    months as dates."""
    where = [batches.c.measure != POPULATION]  # (population has a schema of its own)
    if measure is not None:
        where.append(batches.c.measure == measure)
    if batch is not None:
        where.append(batches.c.id == batch)
    return _arrow(engine, columnar.COUNTS, counts, *where, months=months)


def _current(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the newest batch for each month and storhet (see ``schema``)."""
    newest = frame.groupby(["month", "storhet"], observed=True, sort=False)["batch_id"]\
        .transform("max")
    return frame[frame["batch_id"] == newest].reset_index(drop=True)


def read_counts(engine: sa.Engine, measure: Measure, *, batch: int | None = None,
                months: tuple[date, date] | None = None) -> pd.DataFrame:
    """Return one measure's counts in the canonical shape, with categorical dimensions.

    Categories are read by name and age groups are derived from single years where the rows
    have them, with the catalogue in force. A catalogue that contradicts the stored rows (a
    category or dimension they use is missing, ages no group holds) is refused with a Swedish
    message, so that no number changes silently. With *batch*, only that batch's rows (to add
    a new import to counts already read); with *months* (first, last), only those months.
    """
    if months is not None:
        return _canonical(engine, _current(_rows(engine, measure.code, months=months)), measure)
    if batch is not None:
        return _canonical(engine, _rows(engine, measure.code, batch), measure)
    return _canonical(engine, _current(_rows(engine, measure.code)), measure)


def read_all(engine: sa.Engine, cat: Catalogue) -> dict[str, pd.DataFrame]:
    """Every measure's counts, keyed by measure code (one read of every batch)."""
    rows = _rows(engine)
    parts = {str(code): part for code, part in rows.groupby("measure", observed=True)}
    return {code: _canonical(engine, _current(parts.get(code, rows.iloc[:0])), m)
            for code, m in cat.measures.items()}


def _canonical(engine: sa.Engine, frame: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    columns = ["month", *measure.dimension_columns, "storhet", "antal"]
    named = _named(frame["kategorier"])
    frame = pd.concat([frame.drop(columns="kategorier"), named], axis=1)
    _check(engine, frame, measure)
    if measure.age_groups:
        ages = pd.to_numeric(frame["alder"], errors="coerce")
        frame = frame.assign(aldersgrupp=age_groups(ages, measure.age_groups)
                             .where(ages.notna(), frame["aldersgrupp"]))
    keys = columns[:-1]
    frame = frame.assign(antal=frame["antal"].astype("int64"))
    frame = frame.reindex(columns=[*keys, "antal"])
    # Rows of single years add up to their age group.
    frame = (frame.groupby(keys, dropna=False, sort=False, observed=True)["antal"].sum()
             .reset_index()) if len(frame) else frame
    categorical = {c: _categories(measure, c, frame[c]) for c in columns
                   if c not in ("month", "antal")}
    return frame.astype(categorical).sort_values("month", kind="stable").reset_index(drop=True)


def _named(texts: pd.Series) -> pd.DataFrame:
    """The JSON of ``kategorier`` as one column per dimension (parsed once per distinct text)."""
    codes, uniques = pd.factorize(texts)
    parsed = pd.DataFrame([json.loads(text) for text in uniques])
    if parsed.empty:
        return pd.DataFrame(index=texts.index)
    # Categorical columns straight from the codes: no Python string per row.
    columns = {}
    for name in parsed.columns:
        values, names = pd.factorize(parsed[name])
        columns[name] = pd.Categorical.from_codes(
            values.take(codes), categories=pd.Index(names, dtype=object))
    return pd.DataFrame(columns, index=texts.index)


def _batches_of(engine: sa.Engine, frame: pd.DataFrame, rows: pd.Series) -> str:
    """"batch 3, 5 (oros_jan.xlsx, oros_feb.xlsx)" for the rows a message is about."""
    ids = sorted({int(i) for i in frame.loc[rows, "batch_id"]})
    with engine.connect() as conn:
        files = conn.execute(sa.select(batches.c.source).where(batches.c.id.in_(ids[:5])))\
            .scalars().all()
    more = " …" if len(ids) > 5 else ""
    return f"batch {', '.join(map(str, ids[:5]))}{more} ({', '.join(files)}{more})"


def _check(engine: sa.Engine, frame: pd.DataFrame, measure: Measure) -> None:
    """Refuse a catalogue that would change what stored rows mean, in Swedish."""
    fix = " Läs in filerna igen (sidan Import eller python -m lagesbild import) eller ändra " \
          "tillbaka katalogen (LAGESBILD_KATALOG)."
    for code, dim in measure.dimensions.items():
        values = frame[code] if code in frame.columns else pd.Series(None, index=frame.index)
        lacking = values.isna()
        if lacking.any():
            raise ConfigError(
                f"Katalogen anger dimensionen ”{dim.label}” för {measure.short}, men "
                f"{fmt.number(int(lacking.sum()))} lagrade rader saknar den "
                f"({_batches_of(engine, frame, lacking)})." + fix)
        unknown = ~values.isin(list(dim.categories))
        if unknown.any():
            value = values[unknown].iloc[0]
            rows = values == value
            raise ConfigError(
                f"Kategorin ”{value}” under ”{dim.label}” finns i lagrade data för "
                f"{measure.short} ({fmt.number(int(frame.loc[rows, 'antal'].sum()))} "
                f"{measure.counted}, {_batches_of(engine, frame, rows)}) men inte i katalogen. "
                "Lägg tillbaka kategorin, eller läs in filerna igen med en profil som mappar "
                "den till en annan kategori.")
    if not measure.age_groups or frame.empty:
        return
    ages = pd.to_numeric(frame["alder"], errors="coerce")
    outside = ages.notna() & age_groups(ages, measure.age_groups).isna()
    if outside.any():
        shown = ", ".join(str(int(a)) for a in sorted(ages[outside].unique())[:8])
        raise ConfigError(
            f"Åldrarna {shown} år finns i lagrade data för {measure.short} men i ingen av "
            f"katalogens åldersgrupper ({_batches_of(engine, frame, outside)}). Låt "
            "åldersgrupperna täcka dem.")
    codes = {g.code for g in measure.age_groups}
    grouped = ages.isna() & frame["aldersgrupp"].notna() & ~frame["aldersgrupp"].isin(codes)
    if grouped.any():
        group = frame.loc[grouped, "aldersgrupp"].iloc[0]
        raise ConfigError(
            f"Åldersgruppen ”{group}” finns i lagrade data för {measure.short} men inte i "
            f"katalogen ({_batches_of(engine, frame, grouped)}). Filerna hade bara "
            "åldersgrupper, inte enskilda år, så de kan inte delas in på nytt." + fix)


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
    frame = _arrow(engine, columnar.POPULATION, population,
                   batches.c.measure == POPULATION)
    newest = frame.groupby("ar", sort=False)["batch_id"].transform("max")
    frame = frame[frame["batch_id"] == newest].drop(columns="batch_id")
    return frame.astype({"ar": "int64", "alder": "int64", "antal": "int64"})\
        .reset_index(drop=True)


def month_totals(engine: sa.Engine | sa.Connection, measure: Measure, storhet: str,
                 months: list[date] | None = None) -> dict[date, int]:
    """Stored total of one variable per month (what a new batch would replace), of every
    month or only *months* (those a file holds: the rest of the history is not summed)."""
    mine = counts.c.measure == measure.code
    if months is not None:
        mine = sa.and_(mine, counts.c.month.in_(months))
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

    Undone batches are listed too (``undone_at`` and ``undone_by`` set; they hold no rows,
    so no months).
    """
    query = sa.select(batches).order_by(batches.c.id)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    return frame.rename(columns={"first_period": "first", "last_period": "last"}).astype(
        {"first": "string", "last": "string"})
