"""Möten: the avstämningsmöte (monthly) and the analys- och åtgärdsmöte (quarterly).

A meeting owns its period (chosen when it is opened, not the sidebar's month), and several
may be open at once. The page is the agenda in steps (tabs, one screen each: open items, the
picture per verksamhetsområde, areas to prioritise, actions and their effect, omvärld, the
room's input, the protocol) and has two views of the same stored meeting: *Anteckna* for the
secretary's laptop (forms, edit, delete, close) and *Visa* for the projector (read-only, the
room's input refreshed every few seconds). The record itself: ``meeting_record``.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from lagesbild import fmt
from lagesbild.views import effect, meetings, overview, priority, process
from webapp import actions_page, auth, data, errors, meeting_record, priority_page, state, \
    widgets
from webapp.text import md

ABOUT = {
    "avstamning": "Varje månad, 60 minuter: enhetschefer och säkerhets- och "
                  "beredskapsstrateger går igenom läget per ansvarsområde, sina egna "
                  "iakttagelser och kortsiktiga åtgärder.",
    "analys": "Varje kvartal, 120 minuter: en grundlig bild, uppföljning av åtgärder och deras "
              "effekter, orsaksanalys, kort- och långsiktiga åtgärder med indikatorer att "
              "följa, och behov av samverkan med andra förvaltningar och aktörer.",
}
PAGES = {"avstamning": "app_pages/avstamning.py", "analys": "app_pages/analysmote.py"}
PRIORITY_ROWS = {"avstamning": 8, "analys": 15}
NOTE_DAYS = {"avstamning": 35, "analys": 100}  # omvärld notes since, when no earlier meeting
VIEWS = {"anteckna": "Anteckna", "visa": "Visa på skärmen"}
STEPS = ["Öppna punkter", "Läget", "Områden", "Åtgärder", "Omvärld", "Inspel", "Protokoll"]
# The effect table on the agenda: what a room reads (the register has every column).
EFFECT_COLUMNS = ["Åtgärd", "Område", "Mått", "Slutsats", "Kvot", "95 % KI", "Före", "Efter"]


def period_options(d: data.Data, kind: str) -> list[str]:
    """The whole months (monthly) or quarters (quarterly) the data cover, newest first."""
    return meetings.period_options(d.counts, kind)


def default_period(d: data.Data, kind: str) -> str | None:
    """The period a new meeting of *kind* is about unless the room picks another: the latest
    whole published month or quarter (the pages read only published months)."""
    options = period_options(d, kind)
    return options[0] if options else None


def _new(engine, d: data.Data, kind: str) -> None:
    """The widgets that open a meeting: its kind, its period and its day."""
    with st.expander("Nytt möte", icon=":material/add:"):
        c1 = c2 = c3 = st.container()  # stacked: the head column is narrow
        chosen = c1.radio("Mötestyp", list(process.MEETING_KINDS), key="mote_ny_typ",
                          index=list(process.MEETING_KINDS).index(kind),
                          format_func=process.MEETING_KINDS.get)
        options = period_options(d, chosen)
        if not options:
            st.info("Det finns ingen hel period i data ännu.")
            return
        default = default_period(d, chosen)
        name = "Månad" if meetings.PERIOD_KIND[chosen] == "manad" else "Kvartal"
        period = c2.selectbox(name, options, index=options.index(default),
                              key=f"mote_ny_period_{chosen}",
                              format_func=lambda c: meetings.period_label(chosen, c),
                              help="Perioden mötet gäller. Förvald: den senaste hela "
                                   "publicerade perioden (inte sidopanelens månad).")
        day = c3.date_input("Mötesdag", value=date.today(), format="YYYY-MM-DD",
                            key="mote_ny_dag")
        if st.button("Öppna mötet", type="primary", key="mote_oppna",
                     icon=":material/play_arrow:"):
            with errors.guard():
                new = meetings.open_meeting(engine, chosen, day, auth.current().who, period,
                                            d.releases)
                auth.record("mote", {"mote": new, "handelse": "öppnat", "typ": chosen,
                                     "period": period})
                # Shown next run: the list above is drawn already, its value is fixed now.
                st.session_state["_mote_nytt"] = (chosen, new)
                if chosen != kind:
                    st.switch_page(PAGES[chosen])
                st.rerun()


def _list(engine, kind: str) -> meetings.Meeting | None:
    found = meetings.meetings(engine, kind)
    if not found:
        return None
    by_id = {x.id: x for x in found}
    key = f"mote_val_{kind}"
    made = st.session_state.get("_mote_nytt")
    if made and made[0] == kind:  # the meeting just opened
        st.session_state[key] = made[1]
        del st.session_state["_mote_nytt"]
    if key not in st.session_state:  # a link names the meeting; else the newest open one
        wanted = st.query_params.get("mote")
        first = next((x.id for x in found if x.is_open), found[0].id)
        st.session_state[key] = int(wanted) if wanted and wanted.isdigit() and \
            int(wanted) in by_id else first
    if st.session_state[key] not in by_id:
        st.session_state[key] = found[0].id
    chosen = st.selectbox("Möte", list(by_id), key=key,
                          format_func=lambda i: f"{by_id[i].period} · mötet "
                                                f"{by_id[i].datum:%Y-%m-%d} · {by_id[i].state}",
                          label_visibility="collapsed")
    state.to_url({"mote": str(chosen)})
    return by_id[chosen]


def _all_meetings(engine) -> None:
    rows = meetings.meetings_table(engine)
    if rows.empty:
        return
    with st.expander(f"Alla möten ({fmt.number(len(rows))})", icon=":material/list:"):
        st.table(rows, hide_index=True)


def _month(m: meetings.Meeting, sel: state.Selection) -> pd.Timestamp:
    """The month the agenda's figures are for: the meeting's own (the last of a quarter)."""
    return pd.Timestamp(m.period_slut) if m.period_slut is not None else sel.month


def _headlines(d: data.Data, m: meetings.Meeting, month: pd.Timestamp) -> None:
    # One row per measure, not the overview's cards: seven cards take two screens on a
    # 1366×768 projector, the table one.
    cfg = data.config()
    note = "" if m.typ == "avstamning" else f" (sista månaden i {m.period})"
    st.caption(overview.period_caption(month) + note)
    st.table(meetings.headlines(d.counts, cfg, month), hide_index=True)
    st.caption("Rullande 12 mån: förändringen mot de 12 månaderna före. 24 månader: en "
               "stapel per månad, högre är fler; ”–” när någon månad har för få för att visas.")


def _priorities(d: data.Data, m: meetings.Meeting, month: pd.Timestamp) -> None:
    p = priority_page.view(d, month, "postnummer")
    if p.ranked.empty:
        st.info("Inga mått med postnummer och målgrupp är inlästa.")
        return
    table = priority.flagged(p, PRIORITY_ROWS[m.typ])
    if table.empty:
        st.info(f"Inget område ligger över kommunens nivå de senaste tolv månaderna till "
                f"{fmt.month(month)}.")
        return
    st.caption(f"Områden som ligger över kommunens nivå, de senaste tolv månaderna till "
               f"{fmt.month(month)}; flest mått först.")
    st.table(table, hide_index=True)
    st.caption("Högre än väntat: utanför 99,8 %-gränsen i trattdiagrammet; svagare tecken: "
               "utanför 95 %-gränsen. Nivåerna per mått finns på sidan Områden att "
               "prioritera.")


def _actions(d: data.Data, engine) -> None:
    running = process.actions(engine, open_only=True)
    if not running:
        st.caption("Inga åtgärder att följa upp.")
        return
    cfg = data.config()
    shown = effect.display(actions_page.effects(d, running), cfg, cfg.threshold)
    st.table(shown[EFFECT_COLUMNS], hide_index=True)
    st.caption(actions_page.EFFECT_NOTE + " Alla kolumner (antal, befolkning, nivåer) finns "
               "på sidan Åtgärder.")


def _world(engine, m: meetings.Meeting) -> None:
    since, notes = meetings.notes_since(engine, m, NOTE_DAYS[m.typ])
    if notes.empty:
        st.caption(f"Inga noteringar sedan {since:%Y-%m-%d}.")
        return
    for note in notes.itertuples():
        source = f" – {md(note.kalla)}" if note.kalla else ""
        st.markdown(f"**{pd.Timestamp(note.datum):%Y-%m-%d} {md(note.rubrik)}**{source}  \n"
                    f"{md(note.text)}")


def _agenda(d: data.Data, engine, m: meetings.Meeting, sel: state.Selection,
            view: str) -> None:
    writable = view == "anteckna" and m.is_open and actions_page.can_write()
    month = _month(m, sel)
    steps = state.url_tabs(STEPS, key="motessteg")
    for name, tab in steps.items():
        if not getattr(tab, "open", True):
            continue
        with tab:
            if name == "Öppna punkter":
                meeting_record.carried(engine, m, writable)
            elif name == "Läget":
                _headlines(d, m, month)
            elif name == "Områden":
                _priorities(d, m, month)
            elif name == "Åtgärder":
                _actions(d, engine)
            elif name == "Omvärld":
                _world(engine, m)
            elif name == "Inspel":
                meeting_record.record(engine, m, writable, live=view == "visa")
            else:
                meeting_record.protocol(engine, d, m, writable)


def _status(d: data.Data, m: meetings.Meeting, view: str, place) -> None:
    """Demo data and the meeting's state; for the note-taker also the projector's link."""
    demo = ":orange-badge[Demodata – syntetiska siffror] " if d.is_demo else ""
    where = "pågår" if m.is_open else ":material/lock: stängt – protokollet ändras inte"
    if view == "visa":  # beside the view switch: the steps start higher on the projector
        place.markdown((":orange-badge[Demodata] " if d.is_demo else "") + where,
                       help="Demodata: syntetiska siffror, inga verkliga personer."
                       if d.is_demo else None)
        return
    st.markdown(f"{demo}Hela kommunen (sidopanelens urval används inte) · {where} · "
                f"[Öppna projektorns vy](?mote={m.id}&motesvy=visa&presentation=1)",
                help="Projektorn och sekreterarens dator visar samma möte: det som antecknas "
                     "syns på projektorn inom några sekunder.")


def render(kind: str) -> None:
    """A meeting page of *kind* (``avstamning`` or ``analys``)."""
    title = st.empty()  # the meeting's period goes into the title once it is chosen
    title.title(process.MEETING_KINDS[kind], help=ABOUT[kind])
    with errors.guard():
        d = data.data()
        sel = state.selection()
        if sel.month is None:
            widgets.page_start(follows_sidebar=False)  # says there are no data, and stops
        engine = data.engine()
        writer = actions_page.can_write() and not state.presentation()
        row = st.columns([5, 3, 2], vertical_alignment="center")
        c1, c2 = row[0], row[1]
        with c1:
            m = _list(engine, kind)
        if writer:
            with row[2]:
                _new(engine, d, kind)
        if m is None:
            widgets.demo_banner(d)
            st.info("Inga möten ännu." + (" Öppna det första med knappen Nytt möte."
                                          if writer else ""))
            return
        with c2:
            view = state.url_widget(st.segmented_control, "Vy", list(VIEWS), key="motesvy",
                                    default="anteckna", format_func=VIEWS.get,
                                    required=True, label_visibility="collapsed")
        view = view or "anteckna"
        title.title(f"{process.MEETING_KINDS[kind]} · {m.period}", help=ABOUT[kind])
        _status(d, m, view, st if writer else row[2])
        _agenda(d, engine, m, sel, view)
        if not state.presentation():
            _all_meetings(engine)
        st.caption(f"Sifferunderlaget gäller {md(m.period)}; små tal kan avvika med några enheter och "
                   "under 5 visas som ”<5”.")
