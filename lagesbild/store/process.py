"""The lägesbild process in the store: actions (with history) and omvärldsbevakning notes;
meetings and their items are in ``meetings`` (its names are reachable here too, as before).

Only text and choices the room made are kept here, never numbers from the data; whether an
action worked is computed when asked (``analysis.effect``), from the counts of the day. Every
write is one transaction; the page and the command line write the audit entry.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from lagesbild import codes
from lagesbild.errors import DataError, UnknownError
from lagesbild.intake import personnummer
from lagesbild.store.connection import writing
from lagesbild.store.schema import atgard_historik, atgarder, omvarld

KINDS = {"punktinsats": "Punktinsats", "kortsiktig": "Kortsiktig", "langsiktig": "Långsiktig"}
LEVELS = {"universell": "Universell", "selektiv": "Selektiv", "indikerad": "Indikerad"}
STATUSES = {"planerad": "Planerad", "pagar": "Pågår", "avslutad": "Avslutad"}
MEETING_KINDS = {"avstamning": "Avstämningsmöte", "analys": "Analys- och åtgärdsmöte"}
ITEM_KINDS = {"observation": "Observation", "orsak": "Orsaksanalys", "beslut": "Beslut",
              "samverkan": "Samverkansbehov",
              "vidare": "Vidare till EST-lägesbilden och andra förvaltningar"}
FIELDS = ("titel", "beskrivning", "typ", "niva", "postnummer", "omrade", "kon", "aldersgrupp",
          "indikatorer", "start", "slut", "ansvarig", "samverkan", "status", "mote_id")


@dataclass(frozen=True)
class Indicator:
    """A catalogue measure an action should move, optionally narrowed to categories."""

    matt: str
    kategorier: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def as_json(self) -> dict:
        return {"matt": self.matt, "kategorier": {d: list(v) for d, v in self.kategorier}}

    @classmethod
    def from_json(cls, raw: dict) -> "Indicator":
        return cls(raw["matt"], tuple((d, tuple(v)) for d, v in
                                      (raw.get("kategorier") or {}).items()))


@dataclass(frozen=True)
class Action:
    """One action as registered."""

    titel: str
    start: date
    indikatorer: tuple[Indicator, ...]
    postnummer: tuple[str, ...] = ()  # () = the whole municipality
    omrade: str = ""
    beskrivning: str = ""
    typ: str = "kortsiktig"
    niva: str = "selektiv"
    kon: str | None = None
    aldersgrupp: str | None = None
    slut: date | None = None
    ansvarig: str = ""
    samverkan: str = ""
    status: str = "pagar"
    mote_id: int | None = None
    id: int | None = field(default=None, compare=False)

    @property
    def place(self) -> str:
        """The area as people say it: its name, else its postnummer, else the municipality."""
        if self.omrade:
            return self.omrade
        return ", ".join(f"{p[:3]} {p[3:]}" for p in self.postnummer) or "Hela kommunen"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _check(action: Action, known_measures: set[str] | None) -> None:
    if not action.titel.strip():
        raise DataError("Åtgärden behöver en titel.")
    # What the room types is shown to every läsare and exported: never a personnummer.
    personnummer.refuse_typed({"Titel": action.titel, "Beskrivning": action.beskrivning,
                               "Område": action.omrade, "Ansvarig": action.ansvarig,
                               "Samverkan": action.samverkan})
    for value, allowed, what in ((action.typ, KINDS, "typ"), (action.niva, LEVELS, "nivå"),
                                 (action.status, STATUSES, "status")):
        if value not in allowed:
            raise DataError(f"Okänd {what} ”{value}”. Möjliga: {', '.join(allowed)}.")
    bad = [p for p in action.postnummer if codes.postnummer(p) != p]
    if bad:
        raise DataError(f"”{bad[0]}” är inget postnummer (fem siffror, t.ex. 97442).")
    if action.slut is not None and action.slut < action.start:
        raise DataError("Slutdatum ligger före startdatum.")
    if known_measures is not None:
        for ind in action.indikatorer:
            if ind.matt not in known_measures:
                raise UnknownError(f"Okänt mått ”{ind.matt}”. Möjliga: "
                                   f"{', '.join(sorted(known_measures))}.")


def _row(action: Action) -> dict:
    return {"titel": action.titel.strip(), "beskrivning": action.beskrivning.strip(),
            "typ": action.typ, "niva": action.niva,
            "postnummer": json.dumps(list(action.postnummer)), "omrade": action.omrade.strip(),
            "kon": action.kon, "aldersgrupp": action.aldersgrupp,
            "indikatorer": json.dumps([i.as_json() for i in action.indikatorer],
                                      ensure_ascii=False),
            "start": action.start, "slut": action.slut, "ansvarig": action.ansvarig.strip(),
            "samverkan": action.samverkan.strip(), "status": action.status,
            "mote_id": action.mote_id}


def _shown(value):
    return value.isoformat() if isinstance(value, date) else value


def add_action(engine, action: Action, who: str, known_measures: set[str] | None = None,
               conn: sa.Connection | None = None) -> int:
    """Register an action; returns its id. History gets a ``registrerad`` entry."""
    _check(action, known_measures)
    row = _row(action)
    with writing(conn or engine) as c:
        new_id = c.execute(atgarder.insert().values(**row, skapad_av=who, skapad=_now())
                           ).inserted_primary_key[0]
        c.execute(atgard_historik.insert().values(
            atgard_id=new_id, at=_now(), who=who, handelse="registrerad",
            andringar=json.dumps({k: [None, _shown(v)] for k, v in row.items()
                                  if v not in (None, "", "[]")}, ensure_ascii=False)))
    return int(new_id)


def update_action(engine, action_id: int, action: Action, who: str,
                  known_measures: set[str] | None = None,
                  conn: sa.Connection | None = None) -> dict:
    """Change an action; returns the changed fields ({field: [old, new]}), empty if none."""
    _check(action, known_measures)
    new = _row(action)
    with writing(conn or engine) as c:
        old = c.execute(sa.select(atgarder).where(atgarder.c.id == action_id)).mappings().first()
        if old is None:
            raise UnknownError(f"Det finns ingen åtgärd {action_id}.")
        changed = {k: [_shown(old[k]), _shown(v)] for k, v in new.items() if old[k] != v}
        if changed:
            c.execute(atgarder.update().where(atgarder.c.id == action_id).values(**new))
            kind = "avslutad" if changed.get("status", [None, None])[1] == "avslutad" \
                else "andrad"
            c.execute(atgard_historik.insert().values(
                atgard_id=action_id, at=_now(), who=who, handelse=kind,
                andringar=json.dumps(changed, ensure_ascii=False)))
    return changed


def _action(row) -> Action:
    return Action(
        titel=row["titel"], start=pd.Timestamp(row["start"]).date(),
        indikatorer=tuple(Indicator.from_json(i) for i in json.loads(row["indikatorer"])),
        postnummer=tuple(json.loads(row["postnummer"])), omrade=row["omrade"],
        beskrivning=row["beskrivning"], typ=row["typ"], niva=row["niva"], kon=row["kon"],
        aldersgrupp=row["aldersgrupp"],
        slut=None if row["slut"] is None else pd.Timestamp(row["slut"]).date(),
        ansvarig=row["ansvarig"], samverkan=row["samverkan"], status=row["status"],
        mote_id=row["mote_id"], id=int(row["id"]))


def actions(engine, *, open_only: bool = False) -> list[Action]:
    """Every action, oldest first; with *open_only*, those not closed."""
    query = sa.select(atgarder).order_by(atgarder.c.start, atgarder.c.id)
    if open_only:
        query = query.where(atgarder.c.status != "avslutad")
    with engine.connect() as conn:
        return [_action(r) for r in conn.execute(query).mappings()]


def action(engine, action_id: int) -> Action:
    with engine.connect() as conn:
        row = conn.execute(sa.select(atgarder).where(atgarder.c.id == action_id)
                           ).mappings().first()
    if row is None:
        raise UnknownError(f"Det finns ingen åtgärd {action_id}.")
    return _action(row)


def history(engine, action_id: int) -> pd.DataFrame:
    """An action's history, oldest first: at, who, handelse, andringar (dict)."""
    query = sa.select(atgard_historik.c.at, atgard_historik.c.who, atgard_historik.c.handelse,
                      atgard_historik.c.andringar).where(
        atgard_historik.c.atgard_id == action_id).order_by(atgard_historik.c.id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["at", "who", "handelse", "andringar"])
    return frame.assign(andringar=[json.loads(a) for a in frame["andringar"]])


ACTION_FIELDS = {"titel": "titel", "beskrivning": "beskrivning", "typ": "typ",
                 "niva": "prevention", "postnummer": "postnummer", "omrade": "område",
                 "kon": "kön", "aldersgrupp": "åldersgrupp", "indikatorer": "indikatorer",
                 "start": "start", "slut": "slut", "ansvarig": "ansvarig",
                 "samverkan": "samverkan", "status": "status", "mote_id": "möte"}


def _value(field_: str, value, labels: dict[str, dict]) -> str:
    """A stored value as people read it: names for codes, postnummer as "974 42"."""
    if value in (None, "", "[]"):
        return ""
    if field_ == "postnummer":
        return ", ".join(f"{p[:3]} {p[3:]}" for p in json.loads(value))
    if field_ == "indikatorer":
        names = labels.get("matt", {})
        return ", ".join(names.get(i["matt"], i["matt"]) for i in json.loads(value))
    table = {"typ": KINDS, "niva": LEVELS, "status": STATUSES,
             "kon": {"K": "flickor/kvinnor", "M": "pojkar/män"}, **labels}.get(field_, {})
    return str(table.get(value, value))


def describe_changes(changes: dict, fields: dict[str, str],
                     labels: dict[str, dict] | None = None) -> str:
    """{field: [old, new]} in Swedish: "Ändrade status från ”Pågår” till ”Avslutad”; lade till
    slut ”2026-12-31”". *fields* names the fields, *labels* coded values ({"matt": {…}})."""
    parts = []
    for key, (old, new) in changes.items():
        name = fields.get(key, key)
        before, after = _value(key, old, labels or {}), _value(key, new, labels or {})
        if not before:
            parts.append(f"lade till {name} ”{after}”")
        elif not after:
            parts.append(f"tog bort {name} ”{before}”")
        else:
            parts.append(f"{name} från ”{before}” till ”{after}”")
    if not parts:
        return ""
    text = "; ".join(parts)
    return ("Ändrade " + text) if not text.startswith(("lade", "tog")) else \
        text[0].upper() + text[1:]


def load_demo_actions(engine, path: Path, measure: str, conn: sa.Connection | None = None
                      ) -> list[int]:
    """The demo's actions (``insatser.csv``: Postnummer;Start;Insats;Beskrivning), each
    registered with *measure* as its indicator."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    done = []
    for row in rows:
        done.append(add_action(engine, Action(
            titel=row["Insats"], beskrivning=row["Beskrivning"],
            start=date.fromisoformat(row["Start"]), postnummer=(row["Postnummer"],),
            indikatorer=(Indicator(measure),), typ="langsiktig", niva="selektiv",
            ansvarig="Individ- och familjeomsorgen", samverkan="Skolorna i området"),
            "demo", conn=conn))
    return done


# --- omvärldsbevakning ------------------------------------------------------------------------

NOTE_COLUMNS = ["id", "datum", "rubrik", "text", "kalla", "lank", "matt", "omrade", "skapad_av"]


def add_note(engine, day: date, rubrik: str, who: str, *, text: str = "", kalla: str = "",
             lank: str = "", matt: str | None = None, omrade: str | None = None) -> int:
    if not rubrik.strip():
        raise DataError("Omvärldsnoteringen behöver en rubrik.")
    personnummer.refuse_typed({"Rubrik": rubrik, "Text": text, "Källa": kalla, "Länk": lank,
                               "Område": omrade})
    lank = lank.strip()
    if lank and not lank.lower().startswith(("https://", "http://")):
        raise DataError("Länken ska börja med https:// (eller http://).")
    with writing(engine) as c:
        return int(c.execute(omvarld.insert().values(
            datum=day, rubrik=rubrik.strip(), text=text.strip(), kalla=kalla.strip(), lank=lank,
            matt=matt or None, omrade=(omrade or "").strip() or None, skapad_av=who,
            skapad=_now())).inserted_primary_key[0])


def notes(engine, *, start: date | None = None, end: date | None = None,
          matt: str | None = None) -> pd.DataFrame:
    """Notes, oldest first, within dates (both ends included) and about a measure."""
    query = sa.select(*[omvarld.c[c] for c in NOTE_COLUMNS]).order_by(omvarld.c.datum)
    if start is not None:
        query = query.where(omvarld.c.datum >= start)
    if end is not None:
        query = query.where(omvarld.c.datum <= end)
    if matt is not None:
        query = query.where(omvarld.c.matt == matt)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=NOTE_COLUMNS)


_MEETING_NAMES = {"Meeting", "open_meeting", "meetings", "meeting", "REPORT_MEETING",
                  "meeting_for", "report_text", "MAX_REPORT_TEXT", "save_report_text",
                  "add_item", "update_item", "delete_item", "close_item", "close_meeting",
                  "ITEM_COLUMNS", "items", "carried", "item_history", "meeting_counts",
                  "set_participants", "save_protocol", "protocol", "period_label",
                  "period_months", "PERIOD_KIND"}


def __getattr__(name: str):
    # Meetings moved to their own module; their old names here still work (lazily, since
    # meetings imports this module).
    if name in _MEETING_NAMES:
        from lagesbild.store import meetings

        return getattr(meetings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def version(engine) -> tuple:
    """A cheap value that changes whenever an action or an omvärld note is added, changed,
    closed or deleted (a cache key for the timelines' markers): one query."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(
            sa.select(sa.func.count()).select_from(atgarder).scalar_subquery(),
            sa.select(sa.func.max(atgarder.c.id)).scalar_subquery(),
            sa.select(sa.func.count()).select_from(atgard_historik).scalar_subquery(),
            sa.select(sa.func.max(atgard_historik.c.id)).scalar_subquery(),
            sa.select(sa.func.count()).select_from(omvarld).scalar_subquery(),
            sa.select(sa.func.max(omvarld.c.id)).scalar_subquery())).one()
    return tuple(row)
