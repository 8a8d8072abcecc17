"""Meetings in the store: each owns its period, its items (with a readable history of every
change and deletion), its participants, its report text and, once closed, its protocol.

Several meetings may be open at once (this month's avstämningsmöte and last quarter's analys-
och åtgärdsmöte); what one meeting opens with is the open items of the meetings closed before
it. Every write is one transaction; the page and the command line write the audit entry.
``process`` re-exports these names, so older callers keep working.

Long because a meeting's period, items, their history and its protocol are one record under
one write rule (``_writable``: nothing changes once the meeting is closed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from lagesbild import fmt
from lagesbild.errors import DataError, UnknownError
from lagesbild.intake import personnummer
from lagesbild.store.connection import writing
from lagesbild.store.process import (
    ITEM_KINDS,
    MEETING_KINDS,
    Action,
    _now,
    add_action,
    describe_changes,
    update_action,
)
from lagesbild.store.schema import (
    atgard_historik,
    atgarder,
    moten,
    motespost_historik,
    motesposter,
    motesprotokoll,
)

# The period a meeting of each kind is about.
PERIOD_KIND = {"avstamning": "manad", "analys": "kvartal"}
ITEM_FIELDS = {"text": "text", "matt": "mått", "omrade": "område", "aktor": "aktör",
               "ansvarig": "ansvarig", "uppfoljning": "uppföljning"}
PROTOCOL_FORMATS = ("pdf", "docx")
# What an item is called in a sentence ("Tog bort samverkansbehov: …").
ITEM_NOUNS = {"observation": "observation", "orsak": "orsaksanalys", "beslut": "beslut",
              "samverkan": "samverkansbehov", "vidare": "punkt att föra vidare"}


def period_months(kind: str, code: str) -> tuple[date, date]:
    """The first day of the first and of the last month of a meeting's period
    (``avstamning`` ``2026-10``, ``analys`` ``2026-Q3``)."""
    code = str(code or "").strip()
    if PERIOD_KIND.get(kind) == "manad":
        found = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", code)
        if found:
            first = date(int(found.group(1)), int(found.group(2)), 1)
            return first, first
        raise DataError(f"Månaden ”{code}” går inte att läsa; skriv till exempel 2026-10.")
    found = re.fullmatch(r"(\d{4})-[QqKk]([1-4])", code)
    if kind in PERIOD_KIND and found:
        year, q = int(found.group(1)), int(found.group(2))
        return date(year, 3 * q - 2, 1), date(year, 3 * q, 1)
    if kind not in PERIOD_KIND:
        raise UnknownError(f"Okänd mötestyp ”{kind}”. Möjliga: {', '.join(MEETING_KINDS)}.")
    raise DataError(f"Kvartalet ”{code}” går inte att läsa; skriv till exempel 2026-Q3.")


def period_label(kind: str, code: str | None) -> str:
    """``oktober 2026`` or ``kvartal 3 2026``; "ingen period" for an old meeting without."""
    if not code:
        return "ingen period"
    first, last = period_months(kind, code)
    if first == last:
        return fmt.month(first)
    return f"kvartal {(first.month + 2) // 3} {first.year}"


def code_of(kind: str, month: date) -> str:
    """The period of *kind* that holds *month*: ``2026-10`` or ``2026-Q4``."""
    if PERIOD_KIND[kind] == "manad":
        return f"{month:%Y-%m}"
    return f"{month.year}-Q{(month.month + 2) // 3}"


def guard_text(text: str | None, what: str = "Texten") -> str:
    """Typed text as it may be stored: stripped, and refused if it holds a personnummer."""
    value = (text or "").strip()
    personnummer.refuse_typed({what: value})  # names the field, never the number
    return value


@dataclass(frozen=True)
class Meeting:
    id: int
    typ: str
    datum: date
    oppnat_av: str
    stangt: datetime | None
    period_slut: date | None = None
    period_kod: str | None = None
    deltagare: str = ""
    stangt_av: str | None = None
    release_version: str | None = None

    @property
    def is_open(self) -> bool:
        return self.stangt is None

    @property
    def period(self) -> str:
        """The period in words: "oktober 2026", "kvartal 3 2026"."""
        return period_label(self.typ, self.period_kod)

    @property
    def state(self) -> str:
        return "pågår" if self.is_open else "stängt"

    @property
    def label(self) -> str:
        return f"{MEETING_KINDS[self.typ]}, {self.period} ({self.datum:%Y-%m-%d}, {self.state})"


def _meeting(row) -> Meeting:
    return Meeting(int(row["id"]), row["typ"], pd.Timestamp(row["datum"]).date(),
                   row["oppnat_av"], row["stangt"],
                   None if row["period_slut"] is None else pd.Timestamp(row["period_slut"]).date(),
                   row["period_kod"], row["deltagare"] or "", row["stangt_av"],
                   row["release_version"])


def open_meeting(engine, kind: str, day: date, who: str, period_end: date | None = None, *,
                 period: str | None = None, participants: str = "",
                 release_version: str | None = None) -> int:
    """Start a meeting of *kind* about *period* (``2026-10`` monthly, ``2026-Q3`` quarterly;
    without one, the period that holds *period_end*), recording the publication it looks
    at (*release_version*, "2026-10 v1"). Several meetings may be open, but not two of the
    same kind about the same period."""
    if kind not in MEETING_KINDS:
        raise UnknownError(f"Okänd mötestyp ”{kind}”. Möjliga: {', '.join(MEETING_KINDS)}.")
    if period is None and period_end is not None:
        period = code_of(kind, period_end)
    last = period_months(kind, period)[1] if period else None
    participants = guard_text(participants, "Deltagarlistan")
    with writing(engine) as c:
        if period:
            running = c.execute(sa.select(moten.c.id).where(
                moten.c.typ == kind, moten.c.period_kod == period,
                moten.c.stangt.is_(None))).first()
            if running is not None:
                raise DataError(f"Ett {MEETING_KINDS[kind].lower()} om "
                                f"{period_label(kind, period)} pågår redan (möte "
                                f"{running[0]}). Välj det i listan, eller stäng det först.")
        return int(c.execute(moten.insert().values(
            typ=kind, datum=day, period_slut=last, period_kod=period,
            deltagare=participants or None, oppnat_av=who, oppnat=_now(),
            release_version=release_version)
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
    (``kvartal``: the analys- och åtgärdsmöte) belongs to: the newest whose period ends
    within *start* … *end*; None when there is none."""
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
    value = guard_text(text) or None
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


def set_participants(engine, meeting_id: int, text: str, who: str) -> None:
    """Who took part (free text, one name or unit a line), while the meeting is open."""
    value = guard_text(text, "Deltagarlistan")
    with writing(engine) as c:
        _writable(c, meeting_id)
        c.execute(moten.update().where(moten.c.id == meeting_id).values(
            deltagare=value or None))


def _log(c: sa.Connection, item_id: int, meeting_id: int, who: str, event: str,
         changes: dict) -> None:
    c.execute(motespost_historik.insert().values(
        post_id=item_id, mote_id=meeting_id, at=_now(), who=who, handelse=event,
        andringar=json.dumps(changes, ensure_ascii=False, default=str)))


def add_item(engine, meeting_id: int, kind: str, text: str, who: str, *,
             matt: str | None = None, omrade: str | None = None, aktor: str | None = None,
             ansvarig: str | None = None, uppfoljning: date | None = None,
             action: Action | None = None, known_measures: set[str] | None = None) -> int:
    """Record one item of the room's input. A decision with *action* registers the action in
    the same transaction, decided by this meeting. Items start open."""
    if kind not in ITEM_KINDS:
        raise UnknownError(f"Okänd typ ”{kind}”. Möjliga: {', '.join(ITEM_KINDS)}.")
    text = guard_text(text)
    if not text:
        raise DataError("Skriv något i punkten innan den sparas.")
    row = {"typ": kind, "text": text, "matt": matt or None,
           "omrade": guard_text(omrade, "Området") or None,
           "aktor": guard_text(aktor, "Aktören") or None,
           "ansvarig": guard_text(ansvarig, "Ansvarig") or None, "uppfoljning": uppfoljning}
    with writing(engine) as c:
        _writable(c, meeting_id)
        action_id = None
        if action is not None:
            action_id = add_action(engine, replace(action, mote_id=meeting_id, id=None),
                                   who, known_measures, conn=c)
        item_id = int(c.execute(motesposter.insert().values(
            mote_id=meeting_id, **row, atgard_id=action_id, oppen=True, skapad_av=who,
            skapad=_now())).inserted_primary_key[0])
        _log(c, item_id, meeting_id, who, "skapad",
             {k: [None, v] for k, v in row.items() if v not in (None, "")})
    return item_id


def _item_row(c: sa.Connection, item_id: int):
    row = c.execute(sa.select(motesposter).where(motesposter.c.id == item_id,
                                                 motesposter.c.borttagen.is_(None))
                    ).mappings().first()
    if row is None:
        raise UnknownError(f"Det finns ingen punkt {item_id}.")
    return row


def update_item(engine, item_id: int, who: str, *, action: Action | None = None,
                known_measures: set[str] | None = None, **fields) -> dict:
    """Change an item's *fields* (text, matt, omrade, aktor, ansvarig, uppfoljning) while its
    meeting is open; a decision's action changes with it (*action*: its new fields). Returns
    the changed fields ({field: [old, new]}), empty if nothing changed."""
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise UnknownError(f"Okänt fält ”{sorted(unknown)[0]}”.")
    new = {}
    for key, value in fields.items():
        if key in ("text", "omrade", "aktor", "ansvarig"):
            value = guard_text(value, "Texten" if key == "text" else ITEM_FIELDS[key].title())
        new[key] = value or None
    if "text" in new and not new["text"]:
        raise DataError("Punkten behöver en text; ta bort den i stället om den ska bort.")
    with writing(engine) as c:
        old = _item_row(c, item_id)
        _writable(c, old["mote_id"])
        changed = {k: [_plain(old[k]), _plain(v)] for k, v in new.items()
                   if _plain(old[k]) != _plain(v)}
        if changed:
            c.execute(motesposter.update().where(motesposter.c.id == item_id).values(
                **{k: new[k] for k in changed}))
            _log(c, item_id, old["mote_id"], who, "andrad", changed)
        if action is not None and old["atgard_id"] is not None:
            update_action(engine, int(old["atgard_id"]),
                          replace(action, mote_id=old["mote_id"]), who, known_measures,
                          conn=c)
    return changed


def delete_item(engine, item_id: int, who: str) -> None:
    """Delete an item while its meeting is open. It stays in the history (who deleted what,
    and when); a decision's action, registered by this meeting, is withdrawn with it."""
    with writing(engine) as c:
        old = _item_row(c, item_id)
        _writable(c, old["mote_id"])
        c.execute(motesposter.update().where(motesposter.c.id == item_id).values(
            borttagen=_now(), atgard_id=None))
        gone = {"typ": [old["typ"], None], "text": [old["text"], None]}
        action_id = old["atgard_id"]
        if action_id is not None:
            decided_here = c.execute(sa.select(atgarder.c.mote_id).where(
                atgarder.c.id == action_id)).scalar() == old["mote_id"]
            if decided_here:  # a decision typed in error: its action was never carried out
                c.execute(atgard_historik.delete().where(
                    atgard_historik.c.atgard_id == action_id))
                c.execute(atgarder.delete().where(atgarder.c.id == action_id))
                gone["atgard"] = [int(action_id), None]
        _log(c, item_id, old["mote_id"], who, "borttagen", gone)


def close_item(engine, item_id: int, meeting_id: int, who: str = "") -> None:
    """Mark an item done at *meeting_id* (it is no longer carried forward)."""
    with writing(engine) as c:
        _writable(c, meeting_id)
        old = _item_row(c, item_id)
        c.execute(motesposter.update().where(motesposter.c.id == item_id).values(
            oppen=False, stangd_mote_id=meeting_id))
        _log(c, item_id, meeting_id, who or "okänd", "klar", {"text": [old["text"], None]})


def close_meeting(engine, meeting_id: int, who: str) -> None:
    """Close the record: nothing is added to it afterwards."""
    with writing(engine) as c:
        _writable(c, meeting_id)
        c.execute(moten.update().where(moten.c.id == meeting_id).values(
            stangt=_now(), stangt_av=who))


def _plain(value):
    if isinstance(value, (date, pd.Timestamp)):
        return pd.Timestamp(value).date().isoformat()
    return value if value not in ("",) else None


ITEM_COLUMNS = ["id", "mote_id", "typ", "text", "matt", "omrade", "aktor", "atgard_id", "oppen",
                "stangd_mote_id", "skapad_av", "ansvarig", "uppfoljning"]


def items(engine, meeting_id: int | None = None) -> pd.DataFrame:
    """Items recorded at a meeting (every item without *meeting_id*), in order; deleted items
    are left out."""
    query = sa.select(*[motesposter.c[c] for c in ITEM_COLUMNS]).where(
        motesposter.c.borttagen.is_(None)).order_by(motesposter.c.id)
    if meeting_id is not None:
        query = query.where(motesposter.c.mote_id == meeting_id)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(query).all(), columns=ITEM_COLUMNS)


def carried(engine, meeting_id: int) -> pd.DataFrame:
    """What this meeting follows up: the items still open from the other meetings closed
    before it (of either kind; for a closed meeting, before its closing), and those it has
    marked done."""
    with engine.connect() as conn:
        # Up to its own closing: a closed meeting's record does not change afterwards.
        cutoff = conn.execute(sa.select(moten.c.stangt).where(moten.c.id == meeting_id)
                              ).scalar() or _now()
        closed_before = sa.select(moten.c.id).where(moten.c.stangt.is_not(None),
                                                    moten.c.stangt <= cutoff)
        query = sa.select(*[motesposter.c[c] for c in ITEM_COLUMNS]).where(
            motesposter.c.mote_id != meeting_id, motesposter.c.borttagen.is_(None),
            sa.or_(sa.and_(motesposter.c.oppen.is_(True),
                           motesposter.c.mote_id.in_(closed_before)),
                   motesposter.c.stangd_mote_id == meeting_id)
        ).order_by(motesposter.c.id)
        return pd.DataFrame(conn.execute(query).all(), columns=ITEM_COLUMNS)


def item_history(engine, meeting_id: int, labels: dict[str, dict] | None = None
                 ) -> pd.DataFrame:
    """Every change to a meeting's items, oldest first: at, who, post_id, handelse and
    ``beskrivning``, the change in Swedish ("Ändrade område från ”974 42” till …").
    *labels* name coded values ({"matt": {code: name}})."""
    query = sa.select(motespost_historik.c.at, motespost_historik.c.who,
                      motespost_historik.c.post_id, motespost_historik.c.handelse,
                      motespost_historik.c.andringar).where(
        motespost_historik.c.mote_id == meeting_id).order_by(motespost_historik.c.id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["at", "who", "post_id", "handelse", "andringar"])
    return frame.assign(beskrivning=[describe(h, json.loads(a), labels)
                                     for h, a in zip(frame["handelse"], frame["andringar"])])


def describe(event: str, changes: dict, labels: dict[str, dict] | None = None) -> str:
    """One history entry of an item in Swedish."""
    text = (changes.get("text") or [None, None])
    kind = (changes.get("typ") or [None, None])
    name = ITEM_NOUNS.get(kind[1] or kind[0] or "", "punkt")
    if event == "skapad":
        return f"Lade till {name}: ”{text[1]}”"
    if event == "borttagen":
        extra = f" (och åtgärd {changes['atgard'][0]} i åtgärdsregistret)" \
            if "atgard" in changes else ""
        return f"Tog bort {name}: ”{text[0]}”{extra}"
    if event == "klar":
        return f"Markerade som klar: ”{text[0]}”"
    return describe_changes(changes, ITEM_FIELDS, labels)


def meeting_counts(engine) -> pd.DataFrame:
    """Per meeting: id, typ, period, datum, status and counts of observations, decisions and
    open items (``python -m lagesbild moten``)."""
    found = meetings(engine)
    all_items = items(engine)
    rows = []
    for m in sorted(found, key=lambda m: (m.datum, m.id)):
        own = all_items[all_items["mote_id"] == m.id]
        rows.append({"id": m.id, "typ": m.typ, "period": m.period_kod or "",
                     "datum": m.datum.isoformat(), "status": m.state,
                     "observationer": int((own["typ"] == "observation").sum()),
                     "beslut": int((own["typ"] == "beslut").sum()),
                     "samverkan": int((own["typ"] == "samverkan").sum()),
                     "oppna_punkter": int(own["oppen"].astype(bool).sum())})
    return pd.DataFrame(rows, columns=["id", "typ", "period", "datum", "status",
                                       "observationer", "beslut", "samverkan", "oppna_punkter"])


def save_protocol(engine, meeting_id: int, files: dict[str, bytes], who: str) -> None:
    """Keep a closed meeting's protocol files ({"pdf": …, "docx": …}) with it."""
    with writing(engine) as c:
        row = c.execute(sa.select(moten.c.stangt).where(moten.c.id == meeting_id)).first()
        if row is None:
            raise UnknownError(f"Det finns inget möte {meeting_id}.")
        if row[0] is None:
            raise DataError("Protokollet skrivs när mötet är stängt.")
        for form, content in files.items():
            if form not in PROTOCOL_FORMATS:
                raise UnknownError(f"Okänt format ”{form}”.")
            c.execute(motesprotokoll.delete().where(motesprotokoll.c.mote_id == meeting_id,
                                                    motesprotokoll.c.format == form))
            c.execute(motesprotokoll.insert().values(
                mote_id=meeting_id, format=form, innehall=content, skapad=_now(),
                skapad_av=who))


def protocol(engine, meeting_id: int, form: str) -> bytes | None:
    """A closed meeting's saved protocol file, or None when it has none yet."""
    with engine.connect() as conn:
        return conn.execute(sa.select(motesprotokoll.c.innehall).where(
            motesprotokoll.c.mote_id == meeting_id, motesprotokoll.c.format == form)
        ).scalar()
