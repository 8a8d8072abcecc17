"""The local cache of Kolada's comparison figures: write, read, and fetch into it.

Kolada's figures are public statistics: they are kept as Kolada gives them (no disclosure
control), one row per KPI, area, year and sex. A new fetch or export of a cell replaces it in
one transaction, so a fetch that fails half-way leaves the earlier figures as they were.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from lagesbild.intake import kolada
from lagesbild.store.connection import writing
from lagesbild.store.schema import _connection, kolada_areas, kolada_kpis, kolada_values

API = "api"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def write_values(engine: sa.Engine | sa.Connection, values: pd.DataFrame, source: str) -> int:
    """Store *values* (``kolada.COLUMNS``), replacing the same cells; returns rows written."""
    if values.empty:
        return 0
    now = _now()
    rows = [{"kpi": r.kpi, "kommun": r.kommun, "ar": int(r.ar), "kon": r.kon,
             "varde": None if pd.isna(r.varde) else float(r.varde),
             "status": (None if pd.isna(r.status) else str(r.status)[:64]) or None,
             "underlag": None if pd.isna(r.underlag) else int(r.underlag),
             "source": str(source)[:255], "fetched_at": now}
            for r in values.drop_duplicates(["kpi", "kommun", "ar", "kon"], keep="last")
            .itertuples(index=False)]
    with writing(engine) as conn:
        for r in rows:  # a few hundred cells at most: delete and insert keeps it portable
            conn.execute(kolada_values.delete().where(
                (kolada_values.c.kpi == r["kpi"]) & (kolada_values.c.kommun == r["kommun"])
                & (kolada_values.c.ar == r["ar"]) & (kolada_values.c.kon == r["kon"])))
        conn.execute(kolada_values.insert(), rows)
    return len(rows)


def write_titles(engine: sa.Engine | sa.Connection, titles: dict[str, dict]) -> None:
    """Store Kolada's title and definition of each KPI."""
    if not titles:
        return
    now = _now()
    with writing(engine) as conn:
        conn.execute(kolada_kpis.delete().where(kolada_kpis.c.kpi.in_(list(titles))))
        conn.execute(kolada_kpis.insert(), [
            {"kpi": k, "title": t["title"][:512] or k, "description": t.get("description"),
             "by_sex": t.get("by_sex"), "fetched_at": now} for k, t in titles.items()])


def write_areas(engine: sa.Engine | sa.Connection, names: dict[str, str]) -> None:
    """Store the names of areas (a Kolada group's members), replacing earlier ones."""
    names = {k: v for k, v in names.items() if v and v != k}
    if not names:
        return
    now = _now()
    with writing(engine) as conn:
        conn.execute(kolada_areas.delete().where(kolada_areas.c.kommun.in_(list(names))))
        conn.execute(kolada_areas.insert(), [{"kommun": k, "title": v[:255], "fetched_at": now}
                                             for k, v in names.items()])


def read_areas(engine: sa.Engine | sa.Connection) -> dict[str, str]:
    with _connection(engine) as conn:
        return {r.kommun: r.title for r in conn.execute(sa.select(kolada_areas))}


def read_values(engine: sa.Engine | sa.Connection, kpis: list[str] | None = None
                ) -> pd.DataFrame:
    """The cached values (``kolada.COLUMNS`` plus ``source`` and ``fetched_at``)."""
    query = sa.select(kolada_values).order_by(kolada_values.c.kpi, kolada_values.c.ar,
                                              kolada_values.c.kommun, kolada_values.c.kon)
    if kpis is not None:
        query = query.where(kolada_values.c.kpi.in_(kpis))
    with _connection(engine) as conn:
        found = pd.DataFrame(conn.execute(query).mappings().all(),
                             columns=[c.name for c in kolada_values.columns])
    out = kolada.frame(found[kolada.COLUMNS].assign(status=found["status"].fillna("")))
    return out.assign(source=found["source"].astype("string"),
                      fetched_at=pd.to_datetime(found["fetched_at"], utc=True))


def read_titles(engine: sa.Engine | sa.Connection) -> dict[str, dict]:
    with _connection(engine) as conn:
        return {r["kpi"]: dict(r) for r in conn.execute(sa.select(kolada_kpis)).mappings()}


def fingerprint(engine: sa.Engine | sa.Connection) -> tuple:
    """Changes whenever figures are fetched or imported (a cache key for the pages)."""
    with _connection(engine) as conn:
        n, last = conn.execute(sa.select(sa.func.count(), sa.func.max(
            kolada_values.c.fetched_at))).one()
    return int(n), str(last)


@dataclass(frozen=True)
class Fetched:
    """What one fetch stored."""

    rows: int
    kpis: list[str]
    years: list[int]
    similar: dict[str, str]  # the similar municipalities used
    unknown: list[str]  # KPI ids Kolada does not know: the catalogue holds a wrong id


def fetch(engine: sa.Engine, client: kolada.Client, comparison: kolada.Comparison,
          years: list[int], kpis: list[str] | None = None) -> Fetched:
    """Fetch the catalogue's KPIs (or *kpis*) for every comparison area and store them.

    Everything is fetched before anything is written: without network nothing changes.
    """
    chosen = [comparison.kpis[k] for k in (kpis or list(comparison.kpis))]
    groups: dict[str | None, dict[str, str]] = {}
    parts = []
    for kpi in chosen:
        group = kpi.group or comparison.group
        if group not in groups:
            groups[group] = client.group_members(group) if group else comparison.similar
        similar = {k: v for k, v in groups[group].items() if k != comparison.kommun}
        parts.append(client.data(kpi.id, comparison.areas(similar), years))
    titles = client.kpi_titles([k.id for k in chosen]) if chosen else {}
    values = pd.concat(parts, ignore_index=True) if parts else kolada.frame([])
    with writing(engine) as conn:
        rows = write_values(conn, values, API)
        write_titles(conn, titles)
        for group, members in groups.items():
            if group:
                write_areas(conn, members)
    used = groups.get(comparison.group, comparison.similar)
    unknown = [k.id for k in chosen if k.id not in titles]
    return Fetched(rows, [k.id for k in chosen], years, used, unknown)


def unknown_note(unknown: list[str], path_name: str) -> str | None:
    """The Swedish warning for KPI ids Kolada did not recognise, if any."""
    if not unknown:
        return None
    return (f"Kolada känner inte till {', '.join(unknown)}: kontrollera id:t i {path_name} "
            "(inga värden hämtades för det).")
