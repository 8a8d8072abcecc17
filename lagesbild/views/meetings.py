"""Meetings as their page asks for them: the periods a meeting can be about, opening one on
the publication it looks at, the room's input (items, decisions that become actions, their
history), the agenda's tables (the picture per measure, the meeting list) and the protocol
files. The records are ``store.meetings``; the protocol is ``views.protocol``."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import sqlalchemy as sa

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.config import Catalogue, Config
from lagesbild.store import meetings as store
from lagesbild.store.meetings import (
    PERIOD_KIND, PROTOCOL_FORMATS, Meeting, carried, close_item, close_meeting, delete_item,
    items, meeting, meeting_for, meetings, period_label, report_text, save_report_text,
    set_participants, update_item,
)
from lagesbild.views import overview, process
from lagesbild.views import protocol as protocol_view

__all__ = ["EVERYWHERE", "PERIOD_KIND", "PROTOCOL_FORMATS", "Meeting", "add_item",
           "area_options", "area_postnummer", "carried", "close_item", "close_meeting",
           "decision_action", "delete_item", "headlines", "history_table", "items",
           "items_table", "meeting", "meeting_for", "meetings", "meetings_table",
           "notes_since", "open_meeting", "period_label", "period_options", "protocol_files",
           "report_text", "save_report_text", "set_participants", "spark", "update_item"]

EVERYWHERE = ""  # the area choice "Hela kommunen"
SPARK = "▁▂▃▄▅▆▇█"


def _labels(catalogue: Catalogue) -> dict[str, str]:
    return {c: m.short for c, m in catalogue.measures.items()}


# Opening


def period_options(counts: dict[str, pd.DataFrame], kind: str) -> list[str]:
    """The whole months (avstämningsmöte) or quarters (analysmöte) the published data cover,
    newest first."""
    return process.period_options(counts, PERIOD_KIND[kind])


def open_meeting(engine: sa.Engine, kind: str, day: dt.date, who: str, period: str,
                 releases: list) -> int:
    """Open a meeting of *kind* about *period*, noting the publication of the period's last
    month it looks at (*releases*: those the app reads); the new meeting's id."""
    last = store.period_months(kind, period)[1]
    release = next((r for r in releases if r.month == f"{last:%Y-%m}"), None)
    return store.open_meeting(
        engine, kind, day, who, period=period,
        release_version=f"{release.month} v{release.version}" if release else None)


# The room's input


def area_options(grouping, names: dict[str, str]) -> dict[str, str]:
    """The area picker: hela kommunen, the configured larger areas (*grouping*, or None),
    then every postnummer in *names* (value -> label; the label is what the record keeps)."""
    options = {EVERYWHERE: "Hela kommunen"}
    if grouping is not None:
        options |= {f"omrade:{c}": name for c, name in grouping.labels.items()}
    options |= {p: f"{fmt.postnummer(p)} {names.get(p, '')}".strip() for p in sorted(names)}
    return options


def area_postnummer(choice: str, grouping, names: dict[str, str]) -> tuple[str, ...]:
    """The postnummer an area choice covers (() for the whole municipality)."""
    if not choice:
        return ()
    if choice.startswith("omrade:"):
        code = choice.split(":", 1)[1]
        return tuple(p for p in sorted(names) if grouping.area_of(p) == code)
    return (choice,)


def decision_action(old: process.Action | None, *, titel: str, start: dt.date,
                    indicators: list[str], postnummer: tuple[str, ...], omrade: str, typ: str,
                    ansvarig: str) -> process.Action:
    """The action a decision registers: new, or *old* changed (an indicator kept keeps the
    categories it was narrowed to)."""
    if old is None:
        return process.Action(titel=titel, start=start,
                              indikatorer=tuple(process.Indicator(c) for c in indicators),
                              postnummer=postnummer, omrade=omrade, typ=typ, ansvarig=ansvarig)
    return replace(old, titel=titel, start=start, indikatorer=tuple(
        next((i for i in old.indikatorer if i.matt == c), process.Indicator(c))
        for c in indicators), postnummer=postnummer, omrade=omrade, typ=typ, ansvarig=ansvarig)


def add_item(engine: sa.Engine, meeting_id: int, kind: str, text: str, who: str,
             known_measures: set[str], **extra) -> tuple[int, int | None]:
    """Record one item of the room's input; its id, and the id of the action a decision
    registered (None for other items)."""
    item = store.add_item(engine, meeting_id, kind, text, who, known_measures=known_measures,
                          **extra)
    if extra.get("action") is None:
        return item, None
    saved = store.items(engine, meeting_id).set_index("id").loc[item, "atgard_id"]
    return item, int(saved)


def items_table(found: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Items in Swedish, for a page."""
    labels = _labels(catalogue)

    def day(v):
        return "–" if v is None or pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"

    return pd.DataFrame({
        "Typ": found["typ"].map(process.ITEM_KINDS),
        "Text": found["text"],
        "Mått": found["matt"].map(labels).fillna("–"),
        "Område": found["omrade"].fillna("–"),
        "Aktör/ansvarig": [next((x for x in (a, b) if isinstance(x, str) and x), "–")
                           for a, b in zip(found["aktor"], found["ansvarig"])],
        "Uppföljning": found["uppfoljning"].map(day),
        "Läge": found["oppen"].map({True: "öppen", False: "klar"}),
    })


def history_table(engine: sa.Engine, meeting_id: int, catalogue: Catalogue) -> pd.DataFrame:
    """Every change to a meeting's items, oldest first: Tid (Swedish time), Vem, Vad."""
    found = store.item_history(engine, meeting_id, {"matt": _labels(catalogue)})
    return pd.DataFrame({
        "Tid": pd.to_datetime(found["at"], utc=True).dt.tz_convert("Europe/Stockholm")
        .dt.strftime("%Y-%m-%d %H:%M"),
        "Vem": found["who"], "Vad": found["beskrivning"]})


# The agenda


def meetings_table(engine: sa.Engine) -> pd.DataFrame:
    """Every meeting, newest first: kind, period, day, state and open items (empty frame
    when there is none)."""
    counts = store.meeting_counts(engine)
    if counts.empty:
        return pd.DataFrame()
    found = {m.id: m for m in meetings(engine)}
    rows = counts.sort_values(["datum", "id"], ascending=False)
    return pd.DataFrame({
        "Möte": [process.MEETING_KINDS[t] for t in rows["typ"]],
        "Period": [found[i].period for i in rows["id"]],
        "Mötesdag": rows["datum"], "Läge": rows["status"],
        "Öppna punkter": [fmt.number(v) for v in rows["oppna_punkter"]]})


def notes_since(engine: sa.Engine, m: Meeting, days: int) -> tuple[dt.date, pd.DataFrame]:
    """The omvärld notes since the previous meeting of the same kind (or the *days* before
    this one, when it is the first) up to its day: the first day and the notes."""
    earlier = [x for x in meetings(engine, m.typ) if x.id < m.id]
    since = earlier[0].datum if earlier else m.datum - dt.timedelta(days=days)
    return since, process.notes(engine, start=since, end=m.datum)


def spark(values: list[float] | None) -> str:
    """A trend as a line of block characters (fits a table cell on the projector)."""
    if not values:
        return "–"
    low, high = min(values), max(values)
    span = (high - low) or 1
    return "".join(SPARK[round((v - low) / span * (len(SPARK) - 1))] for v in values)


def headlines(counts: dict[str, pd.DataFrame], cfg: Config, month: pd.Timestamp
              ) -> pd.DataFrame:
    """The picture for the whole municipality, one row per measure: the month, against a
    year earlier, the rolling 12 months and 24 months as a spark line (the overview's cards
    as a table: seven cards take two screens on a 1366×768 projector, the table one)."""
    cards = overview.cards(counts, cfg, month, aggregate.Filters())
    arrows = {"up": "↑ ", "down": "↓ "}
    last_year = fmt.month_short(month - pd.DateOffset(years=1))
    return pd.DataFrame({
        "Mått": [c.title for c in cards], "Räknas": [c.counted for c in cards],
        fmt.month_short(month).capitalize(): [c.value for c in cards],
        f"Mot {last_year}": [arrows.get(c.direction, "") + c.delta.split(" mot ")[0]
                             if c.delta else "–" for c in cards],
        "Rullande 12 mån": [f"{c.rolling12} ({c.rolling12_change.split(' mot ')[0]})"
                            if c.rolling12_shown else c.rolling12 for c in cards],
        "24 månader": [spark(c.trend) for c in cards]})


# The protocol


def protocol_files(engine: sa.Engine, cfg: Config, m: Meeting, who: str, *, demo: bool,
                   may_write: bool) -> dict[str, bytes]:
    """A closed meeting's protocol per format: the stored files; missing ones are written
    into the store by someone who *may_write*, else made afresh without storing them."""
    if may_write:
        return protocol_view.ensure(engine, cfg, m.id, who, demo=demo)
    made = {f: store.protocol(engine, m.id, f) for f in PROTOCOL_FORMATS}
    if not all(made.values()):
        made = protocol_view.files(engine, cfg, m.id, demo=demo)
    return made
