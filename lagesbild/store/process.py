"""The lägesbild process in the store: actions (with history), meetings, the room's input and
omvärldsbevakning notes.

Long because the process's three kinds of record (actions with their history, meetings with
their items and report text, omvärld notes) share the write rules and are read together by
the meeting pages; split apart, each would import the others.

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
from lagesbild.store.schema import (
    atgard_historik,
    atgarder,
    moten,
    motesposter,
    omvarld,
)

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
                  known_measures: set[str] | None = None) -> dict:
    """Change an action; returns the changed fields ({field: [old, new]}), empty if none."""
    _check(action, known_measures)
    new = _row(action)
    with writing(engine) as c:
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


# --- meetings ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Meeting:
    id: int
    typ: str
    datum: date
    oppnat_av: str
    stangt: datetime | None
    period_slut: date | None = None

    @property
    def is_open(self) -> bool:
        return self.stangt is None

    @property
    def label(self) -> str:
        state = "" if self.stangt else " (pågår)"
        return f"{MEETING_KINDS[self.typ]} {self.datum:%Y-%m-%d}{state}"


def _meeting(row) -> Meeting:
    return Meeting(int(row["id"]), row["typ"], pd.Timestamp(row["datum"]).date(),
                   row["oppnat_av"], row["stangt"],
                   None if row["period_slut"] is None else pd.Timestamp(row["period_slut"]).date())


def open_meeting(engine, kind: str, day: date, who: str, period_end: date | None = None) -> int:
    """Start a meeting of *kind*; one of each kind may be open at a time."""
    if kind not in MEETING_KINDS:
        raise UnknownError(f"Okänd mötestyp ”{kind}”. Möjliga: {', '.join(MEETING_KINDS)}.")
    with writing(engine) as c:
        running = c.execute(sa.select(moten.c.id).where(
            moten.c.typ == kind, moten.c.stangt.is_(None))).first()
        if running is not None:
            raise DataError(f"Ett {MEETING_KINDS[kind].lower()} pågår redan (möte "
                            f"{running[0]}). Stäng det först.")
        return int(c.execute(moten.insert().values(
            typ=kind, datum=day, period_slut=period_end, oppnat_av=who, oppnat=_now())
        ).inserted_primary_key[0])


def meetings(engine, kind: str | None = None) -> list[Meeting]:
    """Meetings, newest first."""
    query = sa.select(moten).order_by(moten.c.datum.desc(), moten.c.id.desc())
    if kind:
        query = query.where(moten.c.typ == kind)
    with engine.connect() as conn:
        return [_meeting(r) for r in conn.execute(query).mappings()]


def meeting(engine, meeting_id: int) -> Meeting:
    with engine.connect() as conn:
        row = conn.execute(sa.select(moten).where(moten.c.id == meeting_id)).mappings().first()
    if row is None:
        raise UnknownError(f"Det finns inget möte {meeting_id}.")
    return _meeting(row)


REPORT_MEETING = {"manad": "avstamning", "kvartal": "analys"}


def meeting_for(engine, kind: str, start: date, end: date) -> Meeting | None:
    """The meeting a report of a month (``manad``: the avstämningsmöte) or a quarter
    (``kvartal``: the analys- och åtgärdsmöte) belongs to: the newest whose agenda was built
    on a month within *start* … *end*; None when there is none."""
    for m in meetings(engine, REPORT_MEETING[kind]):
        if m.period_slut is not None and start <= m.period_slut <= end:
            return m
    return None


def report_text(engine, meeting_id: int) -> tuple[str | None, str | None, datetime | None]:
    """The report summary saved with a meeting: text, who saved it and when (Nones if none)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(moten.c.rapporttext, moten.c.rapporttext_av,
                                     moten.c.rapporttext_andrad).where(
            moten.c.id == meeting_id)).first()
    if row is None:
        raise UnknownError(f"Det finns inget möte {meeting_id}.")
    return row[0], row[1], row[2]


MAX_REPORT_TEXT = 20_000  # characters: a summary, not a document


def save_report_text(engine, meeting_id: int, text: str | None, who: str) -> None:
    """Save the strategist's edit of the report summary with the meeting (None or empty: back
    to the generated text). Allowed after the meeting is closed: the report is written after
    the meeting, while the record of the room (its items) stays frozen."""
    if text is not None and len(text) > MAX_REPORT_TEXT:
        raise DataError(f"Texten är för lång ({len(text)} tecken); högst {MAX_REPORT_TEXT} "
                        "tecken får plats i en sammanfattning.")
    personnummer.refuse_typed({"Sammanfattning": text})
    value = (text or "").strip() or None
    with writing(engine) as c:
        if c.execute(sa.select(moten.c.id).where(moten.c.id == meeting_id)).first() is None:
            raise UnknownError(f"Det finns inget möte {meeting_id}.")
        c.execute(moten.update().where(moten.c.id == meeting_id).values(
            rapporttext=value, rapporttext_av=who if value else None,
            rapporttext_andrad=_now() if value else None))


def _writable(c: sa.Connection, meeting_id: int) -> None:
    row = c.execute(sa.select(moten.c.stangt).where(moten.c.id == meeting_id)).first()
    if row is None:
        raise UnknownError(f"Det finns inget möte {meeting_id}.")
    if row[0] is not None:
        raise DataError("Mötet är stängt; dess protokoll ändras inte längre.")


def add_item(engine, meeting_id: int, kind: str, text: str, who: str, *,
             matt: str | None = None, omrade: str | None = None, aktor: str | None = None,
             action: Action | None = None, known_measures: set[str] | None = None) -> int:
    """Record one item of the room's input. A decision with *action* registers the action in
    the same transaction, decided by this meeting. Items start open."""
    if kind not in ITEM_KINDS:
        raise UnknownError(f"Okänd typ ”{kind}”. Möjliga: {', '.join(ITEM_KINDS)}.")
    if not text.strip():
        raise DataError("Skriv något i punkten innan den sparas.")
    personnummer.refuse_typed({ITEM_KINDS[kind]: text, "Område": omrade, "Aktör": aktor})
    with writing(engine) as c:
        _writable(c, meeting_id)
        action_id = None
        if action is not None:
            action_id = add_action(engine, Action(**{**action.__dict__, "mote_id": meeting_id,
                                                     "id": None}),
                                   who, known_measures, conn=c)
        return int(c.execute(motesposter.insert().values(
            mote_id=meeting_id, typ=kind, text=text.strip(), matt=matt or None,
            omrade=(omrade or "").strip() or None, aktor=(aktor or "").strip() or None,
            atgard_id=action_id, oppen=True, skapad_av=who, skapad=_now())
        ).inserted_primary_key[0])


def close_item(engine, item_id: int, meeting_id: int) -> None:
    """Mark an item done at *meeting_id* (it is no longer carried forward)."""
    with writing(engine) as c:
        _writable(c, meeting_id)
        c.execute(motesposter.update().where(motesposter.c.id == item_id).values(
            oppen=False, stangd_mote_id=meeting_id))


def close_meeting(engine, meeting_id: int, who: str) -> None:
    """Close the record: nothing is added to it afterwards."""
    with writing(engine) as c:
        _writable(c, meeting_id)
        c.execute(moten.update().where(moten.c.id == meeting_id).values(
            stangt=_now(), stangt_av=who))


ITEM_COLUMNS = ["id", "mote_id", "typ", "text", "matt", "omrade", "aktor", "atgard_id", "oppen",
                "stangd_mote_id", "skapad_av"]


def items(engine, meeting_id: int | None = None) -> pd.DataFrame:
    """Items recorded at a meeting (every item without *meeting_id*), in order."""
    query = sa.select(*[motesposter.c[c] for c in ITEM_COLUMNS]).order_by(motesposter.c.id)
    if meeting_id is not None:
        query = query.where(motesposter.c.mote_id == meeting_id)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=ITEM_COLUMNS)


def carried(engine, meeting_id: int) -> pd.DataFrame:
    """Open items from earlier meetings (of any kind): what this meeting opens with."""
    query = sa.select(*[motesposter.c[c] for c in ITEM_COLUMNS]).where(
        motesposter.c.mote_id < meeting_id,
        sa.or_(motesposter.c.oppen.is_(True), motesposter.c.stangd_mote_id == meeting_id)
    ).order_by(motesposter.c.id)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=ITEM_COLUMNS)


def meeting_counts(engine) -> pd.DataFrame:
    """Per meeting: id, typ, datum, status and counts of observations, decisions and open
    items (``python -m lagesbild moten``)."""
    found = meetings(engine)
    all_items = items(engine)
    rows = []
    for m in sorted(found, key=lambda m: (m.datum, m.id)):
        own = all_items[all_items["mote_id"] == m.id]
        rows.append({"id": m.id, "typ": m.typ, "datum": m.datum.isoformat(),
                     "status": "pågår" if m.is_open else "stängt",
                     "observationer": int((own["typ"] == "observation").sum()),
                     "beslut": int((own["typ"] == "beslut").sum()),
                     "samverkan": int((own["typ"] == "samverkan").sum()),
                     "oppna_punkter": int(own["oppen"].astype(bool).sum())})
    return pd.DataFrame(rows, columns=["id", "typ", "datum", "status", "observationer",
                                       "beslut", "samverkan", "oppna_punkter"])


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
