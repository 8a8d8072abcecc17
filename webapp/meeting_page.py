"""Möten: the avstämningsmöte (monthly) and the analys- och åtgärdsmöte (quarterly).

One page per kind walks the agenda built from the data — last meeting's open items, the
headline figures per verksamhetsområde, the areas to prioritise, open actions and their
effect, omvärldsbevakning since the last meeting — and takes the room's input (observations,
decisions that go straight into the action register, samverkansbehov, what to pass on). The
record is saved item by item as it is typed, so the projector and the note-taker can share
the page; closing the meeting freezes it, and its open items open the next one.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from lagesbild import fmt
from lagesbild.store import audit, process
from lagesbild.views import overview
from webapp import actions_page, auth, data, errors, priority_page, state, widgets
from webapp.text import md

ABOUT = {
    "avstamning": "Varje månad, 60 minuter: enhetschefer och säkerhets- och "
                  "beredskapsstrateger går igenom läget per ansvarsområde, sina egna "
                  "iakttagelser och kortsiktiga åtgärder.",
    "analys": "Varje kvartal, 120 minuter: en grundlig bild, uppföljning av åtgärder och deras "
              "effekter, orsaksanalys, kort- och långsiktiga åtgärder med indikatorer att "
              "följa, och behov av samverkan med andra förvaltningar och aktörer.",
}
PRIORITY_ROWS = {"avstamning": 10, "analys": 25}
NOTE_DAYS = {"avstamning": 35, "analys": 100}  # omvärld notes since, when no earlier meeting


def _items_table(items: pd.DataFrame) -> pd.DataFrame:
    cat = data.config().catalogue
    labels = {c: m.short for c, m in cat.measures.items()}
    return pd.DataFrame({
        "Typ": items["typ"].map(process.ITEM_KINDS),
        "Text": items["text"],
        "Mått": items["matt"].map(labels).fillna("–"),
        "Område": items["omrade"].fillna("–"),
        "Aktör": items["aktor"].fillna("–"),
        "Åtgärd": items["atgard_id"].map(lambda v: "–" if pd.isna(v) else f"nr {int(v)}"),
        "Öppen": items["oppen"].map({True: "öppen", False: "klar"}),
    })


def _carried(engine, m: process.Meeting, writable: bool) -> None:
    st.subheader("1. Öppna punkter från tidigare möten")
    carried = process.carried(engine, m.id)
    if carried.empty:
        st.caption("Inga öppna punkter från tidigare möten.")
        return
    st.dataframe(_items_table(carried), hide_index=True, width="stretch",
                 key="mote_tidigare")
    if writable:
        still = carried[carried["oppen"].astype(bool)]
        for item in still.itertuples():
            if st.button(f"Markera som klar: {md(item.text[:60])}", key=f"klar_{item.id}",
                         icon=":material/check:"):
                with errors.guard():
                    process.close_item(engine, int(item.id), m.id)
                    auth.record("mote", {"mote": m.id, "handelse": "punkt klar",
                                         "punkt": int(item.id)})
                    st.rerun()


def _headlines(d: data.Data, sel: state.Selection) -> None:
    st.subheader("2. Läget per verksamhetsområde")
    cfg = data.config()
    st.caption(overview.period_caption(sel.month))
    cards = overview.cards(d.counts, cfg, sel.month, sel.filters)
    columns = st.columns(4)
    for i, card in enumerate(cards):
        with columns[i % 4].container(border=True):
            widgets.headline_card(card)


def _priorities(d: data.Data, sel: state.Selection, kind: str) -> None:
    st.subheader("3. Områden att prioritera")
    priority_page.ranked_table(d, sel, "postnummer", PRIORITY_ROWS[kind], key="mote_prio")


def _actions(d: data.Data, engine) -> None:
    st.subheader("4. Pågående åtgärder och effekt hittills")
    actions_page.effect_table(d, process.actions(engine, open_only=True), "mote_effekt")


def _world(engine, m: process.Meeting, kind: str) -> None:
    st.subheader("5. Omvärldsbevakning sedan förra mötet")
    earlier = [x for x in process.meetings(engine, kind) if x.id < m.id]
    since = earlier[0].datum if earlier else m.datum - timedelta(days=NOTE_DAYS[kind])
    notes = process.notes(engine, start=since, end=m.datum)
    if notes.empty:
        st.caption(f"Inga noteringar sedan {since:%Y-%m-%d}.")
        return
    for note in notes.itertuples():
        source = f" – {md(note.kalla)}" if note.kalla else ""
        st.markdown(f"**{pd.Timestamp(note.datum):%Y-%m-%d} {md(note.rubrik)}**{source}  \n"
                    f"{md(note.text)}")


def _input_forms(engine, m: process.Meeting) -> None:
    cat = data.config().catalogue
    measures = ["", *cat.measures]

    def measure_label(c):
        return "Inget särskilt mått" if not c else cat.measure(c).short

    names = ["Observation", "Beslut (ny åtgärd)", "Samverkansbehov",
             "Vidare till EST och andra"]
    if m.typ == "analys":  # the quarterly meeting also analyses causes
        names.insert(1, "Orsaksanalys")
    tabs = dict(zip(names, st.tabs(names)))
    with tabs["Observation"], st.form("observation", clear_on_submit=True):
        text = st.text_area("Vad har ni sett?", key="obs_text", height=80)
        c1, c2 = st.columns(2)
        matt = c1.selectbox("Mått", measures, format_func=measure_label, key="obs_matt")
        omrade = c2.text_input("Område (postnummer eller namn, valfritt)", key="obs_omrade")
        if st.form_submit_button("Spara observationen", key="obs_spara"):
            _save(engine, m, "observation", text, matt=matt, omrade=omrade)
    if "Orsaksanalys" in tabs:
        with tabs["Orsaksanalys"], st.form("orsak", clear_on_submit=True):
            text = st.text_area("Vad kan förklara utvecklingen? (orsaker, faktorer, vad som "
                                "behöver undersökas)", key="orsak_text", height=100)
            c1, c2 = st.columns(2)
            matt = c1.selectbox("Mått", measures, format_func=measure_label, key="orsak_matt")
            omrade = c2.text_input("Område (valfritt)", key="orsak_omrade")
            if st.form_submit_button("Spara orsaksanalysen", key="orsak_spara"):
                _save(engine, m, "orsak", text, matt=matt, omrade=omrade)
    with tabs["Beslut (ny åtgärd)"]:
        st.caption("Ett beslut om en åtgärd går direkt in i åtgärdsregistret, kopplat till "
                   "det här mötet.")
        new = actions_page.action_form("beslut", submit="Spara beslutet")
        if new is not None:
            _save(engine, m, "beslut", new.titel, action=new, omrade=new.place)
    with tabs["Samverkansbehov"], st.form("samverkan", clear_on_submit=True):
        aktor = st.text_input("Vilken förvaltning eller aktör?", key="samv_aktor")
        text = st.text_area("Om vad?", key="samv_text", height=80)
        if st.form_submit_button("Spara samverkansbehovet", key="samv_spara"):
            _save(engine, m, "samverkan", text, aktor=aktor)
    with tabs["Vidare till EST och andra"], st.form("vidare", clear_on_submit=True):
        aktor = st.text_input("Till vem? (t.ex. EST-lägesbilden, kultur- och "
                              "fritidsförvaltningen)", key="vidare_aktor")
        text = st.text_area("Vad ska föras vidare?", key="vidare_text", height=80)
        if st.form_submit_button("Spara", key="vidare_spara"):
            _save(engine, m, "vidare", text, aktor=aktor)


def _save(engine, m: process.Meeting, kind: str, text: str, **extra) -> None:
    with errors.guard():
        item = process.add_item(engine, m.id, kind, text, auth.current().who,
                                known_measures=set(data.config().catalogue.measures), **extra)
        auth.record("mote", {"mote": m.id, "handelse": process.ITEM_KINDS[kind].lower(),
                             "punkt": item})
        if extra.get("action") is not None:  # the decision's action is in the register now
            saved = process.items(engine, m.id).set_index("id").loc[item, "atgard_id"]
            auth.record("atgard", {"atgard": int(saved), "handelse": "registrerad",
                                   "titel": text, "mote": m.id})
        st.toast(f"{process.ITEM_KINDS[kind]} sparad i protokollet.", icon=":material/check:")


def _record(engine, m: process.Meeting, writable: bool) -> None:
    st.subheader("6. Rummets inspel")
    items = process.items(engine, m.id)
    if writable:
        _input_forms(engine, m)
        items = process.items(engine, m.id)  # with what was just saved
    if items.empty:
        st.caption("Inget antecknat vid det här mötet ännu.")
    else:
        shown = _items_table(items)
        st.dataframe(shown, hide_index=True, width="stretch", key="mote_protokoll")
        # For the management group's monthly report and the socialnämnd's quarterly one.
        name = f"protokoll_{m.typ}_{m.datum:%Y-%m-%d}.csv"
        st.download_button(
            "Protokollet som CSV", key="mote_csv", file_name=name, mime="text/csv",
            on_click="ignore", icon=":material/download:",
            data=auth.logged_download(lambda: audit.to_csv(shown), {
                "vad": f"Protokoll, {process.MEETING_KINDS[m.typ].lower()}",
                "period": f"{m.datum:%Y-%m-%d}", "format": "csv", "fil": name}))
    if writable:
        st.divider()
        if st.button("Stäng mötet och spara protokollet", type="primary", key="mote_stang",
                     icon=":material/lock:"):
            with errors.guard():
                process.close_meeting(engine, m.id, auth.current().who)
                auth.record("mote", {"mote": m.id, "handelse": "stängt"})
                st.rerun()


def _choose(engine, kind: str) -> process.Meeting | None:
    found = process.meetings(engine, kind)
    can = actions_page.can_write()
    if can and not any(x.is_open for x in found):
        if st.button(f"Öppna ett nytt {process.MEETING_KINDS[kind].lower()}",
                     type="primary", key="mote_oppna", icon=":material/play_arrow:"):
            with errors.guard():
                sel = state.selection()
                new = process.open_meeting(engine, kind, date.today(), auth.current().who,
                                           sel.month.date() if sel.month is not None else None)
                auth.record("mote", {"mote": new, "handelse": "öppnat", "typ": kind})
                st.session_state[f"mote_val_{kind}"] = new  # show the new one, not the last
                st.rerun()
    if not found:
        st.info("Inga möten ännu." + (" Öppna det första med knappen ovan." if can else ""))
        return None
    by_id = {x.id: x for x in found}
    chosen = st.selectbox("Möte", list(by_id), format_func=lambda i: by_id[i].label,
                          key=f"mote_val_{kind}")
    return by_id[chosen]


def render(kind: str) -> None:
    """A meeting page of *kind* (``avstamning`` or ``analys``)."""
    st.title(process.MEETING_KINDS[kind])
    st.caption(ABOUT[kind])
    with errors.guard():
        d, sel = widgets.page_start()
        engine = data.engine()
        m = _choose(engine, kind)
        if m is None:
            return
        writable = m.is_open and actions_page.can_write()
        if not m.is_open:
            st.caption(f":material/lock: Stängt möte: protokollet ändras inte. Öppnat av "
                       f"{md(m.oppnat_av)}.")
        _carried(engine, m, writable)
        _headlines(d, sel)
        _priorities(d, sel, kind)
        _actions(d, engine)
        _world(engine, m, kind)
        _record(engine, m, writable)
        st.caption(f"Sifferunderlaget gäller {fmt.month(sel.month)}; små tal kan vara "
                   "justerade och under 5 visas som ”<5”.")
