"""Published months in the store: a release per month and version, its protected rows per
measure. Written once (one transaction), never changed; a correction is a new version."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from lagesbild.store.columnar import decode, frame_bytes
from lagesbild.store.connection import writing
from lagesbild.store.schema import release_rows, releases


@dataclass(frozen=True)
class Release:
    """One published month as listed (its rows are read separately)."""

    id: int
    month: str  # ÅÅÅÅ-MM
    version: int
    created_at: datetime
    created_by: str
    budget: dict
    status: dict  # measure -> {"levererad": bool, "rader": int, ...}

    def delivered(self, measure: str) -> bool:
        return bool(self.status.get(measure, {}).get("levererad"))


def save(engine: sa.Engine, month: str, frames: dict[str, pd.DataFrame | bytes], budget: dict,
         status: dict, created_by: str) -> Release:
    """Store a new version of *month*'s release (the next number) with its rows (frames, or
    Arrow streams already encoded)."""
    now = datetime.now(timezone.utc)
    with writing(engine) as conn:
        version = conn.execute(sa.select(sa.func.coalesce(sa.func.max(releases.c.version), 0))
                               .where(releases.c.month == month)).scalar() + 1
        rid = conn.execute(releases.insert().values(
            month=month, version=version, created_at=now, created_by=created_by,
            budget=json.dumps(budget, ensure_ascii=False),
            status=json.dumps(status, ensure_ascii=False))).inserted_primary_key[0]
        if frames:
            conn.execute(release_rows.insert(), [
                {"release_id": rid, "measure": code,
                 "rows": frame if isinstance(frame, bytes) else frame_bytes(frame)}
                for code, frame in frames.items()])
    return Release(int(rid), month, int(version), now, created_by, budget, status)


def listed(engine: sa.Engine | sa.Connection) -> list[Release]:
    """Every release, by month and version."""
    query = sa.select(releases).order_by(releases.c.month, releases.c.version)
    if isinstance(engine, sa.Connection):
        found = engine.execute(query).all()
    else:
        with engine.connect() as conn:
            found = conn.execute(query).all()
    return [Release(r.id, r.month, r.version, r.created_at, r.created_by,
                    json.loads(r.budget), json.loads(r.status)) for r in found]


def latest(engine: sa.Engine, until: str | None = None,
           version_of: dict[str, int] | None = None, as_of: datetime | None = None
           ) -> list[Release]:
    """The newest version of each published month (up to *until*, ÅÅÅÅ-MM; as it was at
    *as_of*), or the version *version_of* names for a month."""
    chosen: dict[str, Release] = {}
    for r in listed(engine):
        if until is not None and r.month > until:
            continue
        if as_of is not None and _aware(r.created_at) > _aware(as_of):
            continue
        wanted = (version_of or {}).get(r.month)
        if wanted is None or r.version == wanted:
            if wanted is not None or r.month not in chosen or r.version > chosen[r.month].version:
                chosen[r.month] = r
    return [chosen[m] for m in sorted(chosen)]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def read_rows(engine: sa.Engine, ids: list[int], measures: list[str] | None = None,
              decode: Callable[[bytes], pa.Table] = decode) -> dict[tuple[int, str], pa.Table]:
    """The protected rows of the releases *ids* (of *measures*, or all), by (release id,
    measure), each read with *decode* as it comes (so a caller can make it smaller before
    the next is decoded)."""
    if not ids:
        return {}
    out = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            where = [release_rows.c.release_id.in_(part)]
            if measures is not None:
                where.append(release_rows.c.measure.in_(measures))
            for rid, measure, data in conn.execute(
                    sa.select(release_rows.c.release_id, release_rows.c.measure,
                              release_rows.c.rows).where(*where)):
                out[(int(rid), str(measure))] = decode(data)
    return out
