"""The audit log: who signed in, imported, undid, changed a profile or exported what, and when.

Entries are kept ``Config.audit_days`` days; each write deletes older ones. Details are a small
JSON object of names, periods, filters and formats — never numbers from the data (not even an
import's row count, which for a file of events is the number of events).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from lagesbild import access
from lagesbild.errors import ConfigError
from lagesbild.intake import personnummer
from lagesbild.store.schema import audit_log

LOCAL = ZoneInfo("Europe/Stockholm")  # what users read times in
ACTIONS = {
    "inloggning": "Inloggning",
    "utloggning": "Utloggning",
    "import": "Import",
    "angra": "Ångrad import",
    "publicering": "Publicering",
    "profil": "Ändrad källprofil",
    "export": "Export",
    "kolada": "Jämförelsetal från Kolada",
    "atgard": "Åtgärd",
    "mote": "Möte",
    "omvarld": "Omvärldsbevakning",
}
COLUMNS = ["Tid", "Vem", "Vad", "Detaljer"]


def _json(details: Mapping) -> str:
    for key, value in details.items():
        if not isinstance(value, (str, int, bool, list, dict)) and value is not None:
            raise TypeError(f"audit detail {key!r} is a {type(value).__name__}: "
                            "only names, codes and periods belong in the log")
    text = json.dumps(dict(details), ensure_ascii=False, sort_keys=True, default=str)
    # Details name files, sheets and people: a personnummer in one never reaches the log.
    return text if not personnummer.contains(text) else \
        json.dumps({k: personnummer.redact(v) if isinstance(v, str) else v
                    for k, v in json.loads(text).items()}, ensure_ascii=False, sort_keys=True)


def record(engine: sa.Engine, who: str, action: str, details: Mapping | None = None, *,
           keep_days: int | None = None, now: datetime | None = None) -> None:
    """Write one entry; with *keep_days*, delete entries older than that in the same step."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    now = now or datetime.now(timezone.utc)
    with engine.begin() as conn:
        conn.execute(audit_log.insert().values(at=now,
                                               who=personnummer.redact(who or "okänd")[:255],
                                               action=action, details=_json(details or {})))
        if keep_days:
            conn.execute(audit_log.delete().where(audit_log.c.at < now - timedelta(keep_days)))


def prune(engine: sa.Engine, keep_days: int, now: datetime | None = None) -> int:
    """Delete entries older than *keep_days*; return how many went."""
    if keep_days < 1:
        raise ConfigError("LAGESBILD_LOGG_DAGAR måste vara minst 1.")
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(keep_days)
    with engine.begin() as conn:
        return conn.execute(audit_log.delete().where(audit_log.c.at < cutoff)).rowcount


def _utc(day: date, end: bool = False) -> datetime:
    """The UTC instant a local (Swedish) day starts, or the next day starts when *end*."""
    local = datetime.combine(day + timedelta(days=1) if end else day, time(), LOCAL)
    return local.astimezone(timezone.utc)


def read(engine: sa.Engine, *, who: Iterable[str] = (), actions: Iterable[str] = (),
         start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Entries, newest first, filtered by who, action and local dates (both ends included).

    Columns: ``at`` (local time, Europe/Stockholm), ``who``, ``action``, ``details`` (dict).
    """
    query = sa.select(audit_log.c.at, audit_log.c.who, audit_log.c.action,
                      audit_log.c.details).order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
    if who := list(who):
        query = query.where(audit_log.c.who.in_(who))
    if actions := list(actions):
        query = query.where(audit_log.c.action.in_(actions))
    if start is not None:
        query = query.where(audit_log.c.at >= _utc(start))
    if end is not None:
        query = query.where(audit_log.c.at < _utc(end, end=True))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["at", "who", "action", "details"])
    # SQLite hands back naive datetimes; they were written in UTC.
    at = pd.to_datetime(frame["at"], utc=True) if len(frame) else pd.Series(
        [], dtype="datetime64[ns, UTC]")
    return frame.assign(at=at.dt.tz_convert(LOCAL),
                        details=[json.loads(d) for d in frame["details"]])


def people(engine: sa.Engine) -> list[str]:
    """Everyone who has an entry, sorted."""
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(audit_log.c.who).distinct()).scalars())


def _detail_text(details: Mapping) -> str:
    def show(value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(f"{k} → {v}" for k, v in value.items())
        return str(value)

    shown = {**details, "roll": access.LABELS.get(details["roll"], "ingen")} \
        if "roll" in details else details
    return "; ".join(f"{key}: {show(value)}" for key, value in shown.items()
                     if value not in (None, "", [], {}))


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """The entries as the page and the CSV show them, in Swedish."""
    return pd.DataFrame({
        "Tid": frame["at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Vem": frame["who"],
        "Vad": frame["action"].map(ACTIONS).fillna(frame["action"]),
        "Detaljer": [_detail_text(d) for d in frame["details"]],
    }, columns=COLUMNS)


def _cell(value: str) -> str:
    # A file name or profile name starting with = + - @ would run as a formula in Excel.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def to_csv(shown: pd.DataFrame) -> bytes:
    """The table as CSV for Excel (semicolons, UTF-8 with BOM), formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(shown.columns)
    for row in shown.itertuples(index=False):
        writer.writerow([_cell(str(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def import_details(plan, batch_id: int) -> dict:
    """What an import's entry says about an ``ingest.Plan`` stored as *batch_id*: the batch,
    the file and which periods it added or replaced."""
    return {"batch": batch_id, "matt": plan.measure, "fil": plan.source, "sha256": plan.digest,
            "kallsystem": plan.source_system, "profil": plan.profile,
            "nya_perioder": [c.period for c in plan.added],
            "ersatta_perioder": [c.period for c in plan.replaced]}
