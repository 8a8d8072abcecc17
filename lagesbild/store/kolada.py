"""The local cache of Kolada's comparison figures: write, read, and fetch into it.

Kolada's figures are public statistics: they are kept as Kolada gives them (no disclosure
control), one row per KPI, area, year and sex. A new fetch or export of a cell replaces it in
one transaction, so a fetch that fails half-way leaves the earlier figures as they were.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from lagesbild.intake import kolada
from lagesbild.store.connection import writing
from lagesbild.store.schema import (_connection, kolada_areas, kolada_groups, kolada_kpis,
                                    kolada_values)

API = "api"
RANK_YEARS = 2  # the newest years fetched for every municipality (the rank among all 290)


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
    cells: dict[tuple, set] = {}
    for r in rows:
        cells.setdefault((r["kpi"], r["ar"]), set()).add(r["kommun"])
    with writing(engine) as conn:
        # One delete per KPI and year (thousands of cells when every municipality is fetched).
        for (kpi, year), areas in cells.items():
            areas = sorted(areas)
            for i in range(0, len(areas), 500):
                conn.execute(kolada_values.delete().where(
                    (kolada_values.c.kpi == kpi) & (kolada_values.c.ar == year)
                    & kolada_values.c.kommun.in_(areas[i:i + 500])))
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


def write_group(engine: sa.Engine | sa.Connection, group: kolada.Group, kind: str,
                source: str) -> None:
    """Store the similar municipalities' group a fetch used, replacing the same group."""
    with writing(engine) as conn:
        key = group.id or f"egen:{kind}"
        conn.execute(kolada_groups.delete().where(kolada_groups.c.grupp == key))
        conn.execute(kolada_groups.insert(), [{
            "grupp": key, "kind": kind[:64], "title": group.title[:255], "ar": group.year,
            "members": json.dumps(sorted(group.members.items()), ensure_ascii=False),
            "source": source[:255], "fetched_at": _now()}])


def read_groups(engine: sa.Engine | sa.Connection) -> list[dict]:
    """Every stored group: grupp, kind, title, ar, members (dict), source, fetched_at."""
    with _connection(engine) as conn:
        rows = conn.execute(sa.select(kolada_groups)).mappings().all()
    return [{**dict(r), "members": dict(json.loads(r["members"]))} for r in rows]


def group_in_use(groups: list[dict], comparison: kolada.Comparison) -> kolada.Group | None:
    """The group the catalogue asks for among the stored ones: our own list, the fixed id, or
    the newest year of the chosen kind; None before the first fetch."""
    if own := comparison.custom_group():
        return own
    if comparison.similar_group:
        chosen = [g for g in groups if g["grupp"] == comparison.similar_group]
    else:
        chosen = [g for g in groups if g["kind"] == comparison.similar_kind]
    if not chosen:
        return None
    best = max(chosen, key=lambda g: (g["ar"] or 0, g["fetched_at"]))
    return kolada.Group(best["grupp"], best["title"], best["ar"], best["members"])


def _kind(comparison: kolada.Comparison) -> str:
    return "id" if comparison.similar_group else (comparison.similar_kind or "egen")


def resolve_group(client: kolada.Client, comparison: kolada.Comparison) -> kolada.Group | None:
    """The similar municipalities to fetch: our own list, a fixed group, or Kolada's newest
    "Liknande kommuner <typ>, <kommun>, <år>" group."""
    if own := comparison.custom_group():
        return own
    if comparison.similar_group:
        return client.group(comparison.similar_group)
    if comparison.similar_kind:
        return client.similar_group(comparison.similar_kind, comparison.kommun_name)
    return None


@dataclass(frozen=True)
class Fetched:
    """What one fetch stored."""

    rows: int
    kpis: list[str]
    years: list[int]
    group: kolada.Group | None  # the similar municipalities used
    unknown: list[str]  # KPI ids Kolada does not know: the catalogue holds a wrong id

    @property
    def similar(self) -> dict[str, str]:
        return self.group.members if self.group else {}


def fetch(engine: sa.Engine, client: kolada.Client, comparison: kolada.Comparison,
          years: list[int], kpis: list[str] | None = None, progress=None) -> Fetched:
    """Fetch the catalogue's KPIs (or *kpis*) for every comparison area, and every
    municipality's value for the newest years (the rank), and store them.

    Everything is fetched before anything is written: without network nothing changes.
    *progress*, if given, is called with (share done 0–1, a Swedish line).
    """
    say = progress or (lambda share, text: None)
    chosen = [comparison.kpis[k] for k in (kpis or list(comparison.kpis))]
    ids = [k.id for k in chosen]
    say(0.0, "Söker jämförelsegruppen …")
    group = resolve_group(client, comparison)
    similar = {k: v for k, v in (group.members if group else {}).items()
               if k != comparison.kommun}
    say(0.1, "Hämtar kommunen, länet, riket och jämförelsegruppen …")
    values = client.data(ids, comparison.areas(similar), years,
                         lambda d, n: say(0.1 + 0.4 * d / n, f"Hämtar jämförelsetal ({d} av "
                                                              f"{n}) …"))
    ranked = [k.id for k in chosen if k.rank]
    newest = years[-RANK_YEARS:]
    if ranked:
        every = client.data(ranked, None, newest,
                            lambda d, n: say(0.5 + 0.4 * d / n, "Hämtar alla kommuners värden "
                                                                f"för rangordningen ({d} av {n}) …"))
        # Keep the kommuner (the rank's population); riket and the regions come above.
        every = every.loc[every["kommun"].map(kolada.is_municipality).astype(bool)]
        values = pd.concat([values, every], ignore_index=True)
    say(0.9, "Hämtar nyckeltalens namn …")
    titles = client.kpi_titles(ids) if ids else {}
    with writing(engine) as conn:
        rows = write_values(conn, values, API)
        write_titles(conn, titles)
        if group is not None:
            write_areas(conn, group.members)
            write_group(conn, group, _kind(comparison), API)
    say(1.0, "Klart.")
    unknown = [k for k in ids if k not in titles]
    return Fetched(rows, ids, years, group, unknown)


def unknown_note(unknown: list[str], path_name: str) -> str | None:
    """The Swedish warning for KPI ids Kolada did not recognise, if any."""
    if not unknown:
        return None
    return (f"Kolada känner inte till {', '.join(unknown)}: kontrollera id:t i {path_name} "
            "(inga värden hämtades för det).")


def load_snapshot(engine: sa.Engine | sa.Connection, path) -> int:
    """Load the demo's bundled Kolada snapshot (``data/kolada_demo.json``, written by
    ``tools/kolada_demo.py``): values with their source line, titles, the group and its
    members' names. Returns the number of values; 0 when the file is not there."""
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        return 0
    snapshot = json.loads(path.read_text(encoding="utf-8"))
    sources = snapshot["sources"]
    rows = [dict(zip(snapshot["columns"], r)) for r in snapshot["values"]]
    by_source: dict[str, list[dict]] = {}
    for r in rows:
        by_source.setdefault(sources[int(r.pop("kalla"))], []).append(
            {**r, "status": "", "underlag": None})
    g = snapshot["group"]
    group = kolada.Group(g["id"], g["title"], int(g["title"][-4:]), g["members"])
    with writing(engine) as conn:
        for source, part in by_source.items():
            write_values(conn, kolada.frame(part), source)
        write_titles(conn, snapshot["kpis"])
        write_areas(conn, group.members)
        write_group(conn, group, g["kind"], sources[0])
    return len(rows)
