"""Reading the store: the current rows of every measure, population and batches."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import sqlalchemy as sa

from lagesbild import fmt
from lagesbild.config import Catalogue, Measure
from lagesbild.errors import ConfigError
from lagesbild.intake.normalize import age_groups
from lagesbild.store.schema import _connection, batches, counts, population


def _current_only(query: sa.Select, table: sa.Table, keys: list[str], *where) -> sa.Select:
    """Keep only rows of the newest batch for each value of *keys* (month and storhet, say)."""
    latest = (sa.select(*(table.c[k] for k in keys), sa.func.max(table.c.batch_id)
                        .label("batch_id"))
              .where(*where).group_by(*(table.c[k] for k in keys)).subquery())
    on = [table.c[k] == latest.c[k] for k in keys] + [table.c.batch_id == latest.c.batch_id]
    return query.join_from(table, latest, sa.and_(*on))


def read_counts(engine: sa.Engine, measure: Measure) -> pd.DataFrame:
    """Return one measure's counts in the canonical shape, with categorical dimensions.

    Categories are read by name and age groups are derived from single years where the rows
    have them, with the catalogue in force. A catalogue that contradicts the stored rows (a
    category or dimension they use is missing, ages no group holds) is refused with a Swedish
    message, so that no number changes silently.
    """
    columns = ["month", *measure.dimension_columns, "storhet", "antal"]
    stored = [counts.c[c] for c in ("batch_id", "month", "postnummer", "kon", "aldersgrupp",
                                     "alder", "kategorier", "storhet", "antal")]
    mine = counts.c.measure == measure.code
    query = _current_only(sa.select(*stored), counts, ["month", "storhet"], mine).where(mine)
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    named = _named(frame["kategorier"])
    frame = pd.concat([frame.drop(columns="kategorier"), named], axis=1)
    _check(engine, frame, measure)
    if measure.age_groups:
        ages = pd.to_numeric(frame["alder"], errors="coerce")
        frame = frame.assign(aldersgrupp=age_groups(ages, measure.age_groups)
                             .where(ages.notna(), frame["aldersgrupp"]))
    keys = columns[:-1]
    frame = frame.assign(month=pd.to_datetime(frame["month"]),
                         antal=frame["antal"].astype("int64"))
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
    return parsed.iloc[codes].set_index(texts.index)


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
