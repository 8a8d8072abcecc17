"""Sign-ins kept in the store, so that they really end.

Streamlit's login cookie is signed, not stored: without a record on the server, a copy of it
opens the app after "Logga ut" and after any idle time. Each login (the identity provider's
issuer, subject, time of issue and nonce, hashed: the same for every tab of one login, new
at every sign-in) gets a row when it is first seen; every rerun asks :func:`status`, logging
out or idling stamps it ended (:func:`end`), and an ended or unknown login gets the sign-in
page. The rows live in the store, so every app process behind a load balancer agrees.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from lagesbild.store.schema import sessioner

TOUCH_EVERY = timedelta(seconds=60)  # activity is written at most once a minute per login
FRESH = timedelta(minutes=5)  # a login unknown to the store is new only this soon after issue
KEEP = timedelta(days=30)  # ended or idle rows older than this are deleted


@dataclass(frozen=True)
class Status:
    known: bool
    ended: bool = False
    idle: bool = False
    seen: datetime | None = None  # last activity written

    def stale(self, now: datetime | None = None) -> bool:
        """Whether activity is due to be written again (so a rerun writes at most once a
        minute, and most reruns not at all: a write could wait for an import's lock)."""
        return self.seen is None or (now or _now()) - self.seen > TOUCH_EVERY


def key(claims: Mapping) -> str:
    """The id of one login: the same for every tab of it, new at every sign-in."""
    parts = [str(claims.get(k) or "") for k in ("iss", "sub", "email", "iat", "nonce")]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)  # SQLite drops it


def status(engine: sa.Engine, login: str, idle_after: timedelta,
           now: datetime | None = None) -> Status:
    """Whether the login is known, ended, or idle longer than *idle_after*."""
    now = now or _now()
    with engine.connect() as conn:
        row = conn.execute(sa.select(sessioner.c.senast, sessioner.c.avslutad).where(
            sessioner.c.id == login)).first()
    if row is None:
        return Status(known=False)
    return Status(True, ended=row.avslutad is not None,
                  idle=now - _utc(row.senast) > idle_after, seen=_utc(row.senast))


def is_fresh(claims: Mapping, now: datetime | None = None) -> bool:
    """Whether a login the store does not know was issued just now (a new sign-in), rather
    than an old cookie (a copy, or one from before the store was replaced)."""
    issued = claims.get("iat")
    if not isinstance(issued, (int, float)):
        return False
    age = (now or _now()) - datetime.fromtimestamp(issued, timezone.utc)
    return -FRESH < age < FRESH


def begin(engine: sa.Engine, login: str, now: datetime | None = None) -> None:
    """Record a new sign-in (nothing if it is already recorded)."""
    now = now or _now()
    with engine.begin() as conn:
        if conn.execute(sa.select(sessioner.c.id).where(sessioner.c.id == login)).first():
            return
        conn.execute(sessioner.insert().values(id=login, skapad=now, senast=now))
        conn.execute(sessioner.delete().where(sessioner.c.senast < now - KEEP))


def touch(engine: sa.Engine, login: str, now: datetime | None = None) -> None:
    """The login was active now (written at most once a minute)."""
    now = now or _now()
    with engine.begin() as conn:
        conn.execute(sessioner.update().where(
            sessioner.c.id == login, sessioner.c.avslutad.is_(None),
            sessioner.c.senast < now - TOUCH_EVERY).values(senast=now))


def end(engine: sa.Engine, login: str, reason: str, now: datetime | None = None) -> None:
    """End the login everywhere: every tab and every copy of its cookie."""
    now = now or _now()
    with engine.begin() as conn:
        done = conn.execute(sessioner.update().where(
            sessioner.c.id == login, sessioner.c.avslutad.is_(None)).values(
            avslutad=now, orsak=reason[:32]))
        if done.rowcount == 0 and not conn.execute(
                sa.select(sessioner.c.id).where(sessioner.c.id == login)).first():
            conn.execute(sessioner.insert().values(id=login, skapad=now, senast=now,
                                                   avslutad=now, orsak=reason[:32]))


def active(engine: sa.Engine, login: str, idle_after: timedelta) -> bool:
    """Known, not ended and not idle: what a download or another request needs."""
    found = status(engine, login, idle_after)
    return found.known and not found.ended and not found.idle
