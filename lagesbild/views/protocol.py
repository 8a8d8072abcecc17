"""The protocol of a closed meeting: date, period, participants, observations, decisions
with owner, indicator and follow-up date, and the open items it followed up, as PDF and
Word (``present.paper``), saved with the meeting (``store.meetings.save_protocol``).

Only what the room wrote is in it, no numbers from the data; the text is written literally.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from lagesbild import fmt
from lagesbild.config import Config
from lagesbild.errors import UnknownError
from lagesbild.present import paper
from lagesbild.present.document import Block, Document
from lagesbild.store import meetings, process

FOOTER = ("Protokoll ur Social lägesbild. Personuppgifter antecknas inte i mötet; lägesbildens "
          "tal är publicerade tal (röjandekontroll).")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else \
        fmt.clean(str(value), newlines=False)


def _day(value) -> str:
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _local(moment) -> pd.Timestamp:
    """A stored time in Swedish time (SQLite gives it back without its zone: UTC)."""
    ts = pd.Timestamp(moment)
    return (ts if ts.tzinfo else ts.tz_localize("UTC")).tz_convert("Europe/Stockholm")


def _points(items: pd.DataFrame, kind: str, labels: dict[str, str]) -> tuple[str, ...]:
    out = []
    for r in items[items["typ"] == kind].itertuples():
        extra = [x for x in (labels.get(r.matt, _text(r.matt)) if _text(r.matt) else "",
                             _text(r.omrade), _text(r.aktor),
                             f"ansvarig: {_text(r.ansvarig)}" if _text(r.ansvarig) else "",
                             f"följs upp {_day(r.uppfoljning)}" if _day(r.uppfoljning) else "")
                 if x]
        out.append(_text(r.text) + (f" ({', '.join(extra)})" if extra else ""))
    return tuple(out)


def _decisions(engine, items: pd.DataFrame, labels: dict[str, str]) -> tuple:
    rows = [("Beslut", "Ansvarig", "Indikator", "Uppföljning", "Område")]
    for r in items[items["typ"] == "beslut"].itertuples():
        owner, indicator, place = _text(r.ansvarig), "", _text(r.omrade)
        if r.atgard_id is not None and not pd.isna(r.atgard_id):
            try:
                a = process.action(engine, int(r.atgard_id))
                owner = owner or a.ansvarig
                indicator = ", ".join(labels.get(i.matt, i.matt) for i in a.indikatorer)
                place = place or a.place
            except UnknownError:  # the action was removed from the register since
                pass
        if not indicator and _text(r.matt):
            indicator = labels.get(r.matt, r.matt)
        rows.append((_text(r.text), owner or "–", indicator or "–",
                     _day(r.uppfoljning) or "–", place or "Hela kommunen"))
    return tuple(rows) if len(rows) > 1 else ()


def document(engine, cfg: Config, meeting_id: int, *, demo: bool = False) -> Document:
    """The protocol of a meeting as a format-free document."""
    m = meetings.meeting(engine, meeting_id)
    labels = {c: x.short for c, x in cfg.catalogue.measures.items()}
    own = meetings.items(engine, m.id)
    followed = meetings.carried(engine, m.id)
    kind = process.MEETING_KINDS[m.typ]
    closed = "" if m.stangt is None else f"{_local(m.stangt):%Y-%m-%d %H:%M}"
    people = [p.strip(" ,;") for p in (m.deltagare or "").replace(";", "\n").splitlines()]
    people = [_text(p) for p in people if p]
    facts = (("Möte", kind), ("Datum", f"{m.datum:%Y-%m-%d}"), ("Period", m.period),
             ("Siffrorna", f"publiceringen {m.release_version.replace(' v', ', version ')}"
              if m.release_version else "publiceringen som gällde vid mötet"),
             ("Deltagare", "; ".join(people) or "inte antecknade"),
             ("Öppnat av", _text(m.oppnat_av)),
             ("Stängt", f"{closed} av {_text(m.stangt_av)}" if closed else "pågår"))
    blocks = [Block(f"Protokoll {kind.lower()}", kind="title"),
              Block("Mötet", figures=facts)]
    observations = _points(own, "observation", labels)
    blocks.append(Block("Observationer", observations or ("Inga observationer antecknades.",)))
    if m.typ == "analys" or (own["typ"] == "orsak").any():
        causes = _points(own, "orsak", labels)
        blocks.append(Block("Orsaksanalys", causes or ("Ingen orsaksanalys antecknades.",)))
    table = _decisions(engine, own, labels)
    blocks.append(Block("Beslut och åtgärder", () if table else ("Inga beslut fattades.",),
                        table=table))
    for kind_, title in (("samverkan", "Samverkansbehov"),
                         ("vidare", "Vidare till EST-lägesbilden och andra förvaltningar")):
        found = _points(own, kind_, labels)
        if found:
            blocks.append(Block(title, found))
    carried = []
    for r in followed.itertuples():
        state = "klar vid mötet" if r.stangd_mote_id == m.id else "fortfarande öppen"
        origin = meetings.meeting(engine, int(r.mote_id))
        carried.append((_text(r.text), process.ITEM_KINDS.get(r.typ, r.typ),
                        f"{process.MEETING_KINDS[origin.typ]}, {origin.period}", state))
    open_here = own[own["oppen"].astype(bool)]
    carried += [(_text(r.text), process.ITEM_KINDS.get(r.typ, r.typ), "Detta möte",
                 "öppen, följs upp nästa möte") for r in open_here.itertuples()
                if r.typ != "beslut"]
    blocks.append(Block("Öppna punkter", () if carried else ("Inga öppna punkter.",),
                        table=(("Punkt", "Typ", "Från", "Läge"), *carried) if carried else ()))
    return Document(title=f"Protokoll: {kind}, {m.period}",
                    subtitle=f"Mötet {m.datum:%Y-%m-%d} · perioden {m.period}",
                    blocks=tuple(blocks), demo=demo, footer=FOOTER,
                    made=f"{dt.date.today():%Y-%m-%d}", page_footer=FOOTER)


def files(engine, cfg: Config, meeting_id: int, *, demo: bool = False) -> dict[str, bytes]:
    """The protocol as {"pdf": …, "docx": …}."""
    doc = document(engine, cfg, meeting_id, demo=demo)
    return {"pdf": paper.pdf(doc), "docx": paper.docx(doc)}


def ensure(engine, cfg: Config, meeting_id: int, who: str, *, demo: bool = False
           ) -> dict[str, bytes]:
    """A closed meeting's protocol files: the saved ones, or written and saved now."""
    saved = {f: meetings.protocol(engine, meeting_id, f) for f in meetings.PROTOCOL_FORMATS}
    if all(saved.values()):
        return saved
    made = files(engine, cfg, meeting_id, demo=demo)
    meetings.save_protocol(engine, meeting_id, made, who)
    return made


def file_name(m: meetings.Meeting, form: str) -> str:
    return f"protokoll_{m.typ}_{m.period_kod or m.datum:}_{m.datum:%Y-%m-%d}.{form}"
