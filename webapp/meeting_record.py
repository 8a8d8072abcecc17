"""The record of a meeting on its page: the open items it follows up, the room's input
(forms that never submit on Enter), editing and deleting an item with its history, the
participants, closing, and the protocol to download. The projector's view of the input
refreshes by itself (``st.fragment(run_every=…)``), so it follows the note-taker's laptop.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from lagesbild.views import meetings, process
from lagesbild.views import protocol as protocol_view
from webapp import actions_page, auth, data, errors
from webapp.text import md

LIVE_SECONDS = 5
EVERYWHERE = meetings.EVERYWHERE
FORMAT_LABELS = {"pdf": "PDF", "docx": "Word"}
MIME = {"pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def _s(value) -> str:
    """A stored text as a string ("" for None, and for the NaN a row of a frame gives)."""
    return value if isinstance(value, str) else ""


def _labels() -> dict[str, str]:
    return {c: m.short for c, m in data.config().catalogue.measures.items()}


def area_options() -> dict[str, str]:
    """The area picker: hela kommunen, the configured larger areas, then every postnummer
    (value -> label; the label is what the record keeps)."""
    return meetings.area_options(data.grouping(), data.postort_names())


def _postnummer(choice: str) -> tuple[str, ...]:
    """The postnummer an area choice covers (() for the whole municipality)."""
    return meetings.area_postnummer(choice, data.grouping(), data.postort_names())


def _area_picker(label: str, key: str, current: str | None = None) -> str:
    options = area_options()
    values = list(options)
    chosen = next((v for v, name in options.items() if name == _s(current)), EVERYWHERE)
    return st.selectbox(label, values, index=values.index(chosen), format_func=options.get,
                        key=key, help="Ett postnummer, ett större område eller hela kommunen.")


def _measure_picker(label: str, key: str, current: str | None = None) -> str:
    labels = _labels()
    values = ["", *labels]
    current = _s(current)
    return st.selectbox(label, values, index=values.index(current if current in values else ""),
                        key=key,
                        format_func=lambda c: labels.get(c, "Inget särskilt mått"))


def carried(engine, m: meetings.Meeting, writable: bool) -> None:
    """The open items of earlier meetings, each with its own short button."""
    found = meetings.carried(engine, m.id)
    if found.empty:
        st.caption("Inga öppna punkter från tidigare möten.")
        return
    origins = {i: meetings.meeting(engine, int(i)) for i in found["mote_id"].unique()}
    st.caption("Öppna punkter från mötena före det här. Markera det som är klart; resten följer "
               "med till nästa möte.")
    for item in found.itertuples():
        origin = origins[item.mote_id]
        with st.container(border=True):
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            c1.markdown(f"**{process.ITEM_KINDS[item.typ]}** · "
                        f"{md(process.MEETING_KINDS[origin.typ])}, {md(origin.period)}  \n"
                        f"{md(item.text)}")
            if not item.oppen:
                c2.markdown(":green-badge[:material/check: klar]")
            elif writable:
                if c2.button("Klar", key=f"klar_{item.id}", icon=":material/check:",
                             help="Markera punkten som klar vid det här mötet."):
                    with errors.guard():
                        meetings.close_item(engine, int(item.id), m.id, auth.current().who)
                        auth.record("mote", {"mote": m.id, "handelse": "punkt klar",
                                             "punkt": int(item.id)})
                        st.rerun()
            else:
                c2.markdown(":orange-badge[öppen]")


def _save(engine, m: meetings.Meeting, kind: str, text: str, **extra) -> None:
    with errors.guard():
        item, action = meetings.add_item(engine, m.id, kind, text, auth.current().who,
                                         set(data.config().catalogue.measures), **extra)
        auth.record("mote", {"mote": m.id, "handelse": process.ITEM_KINDS[kind].lower(),
                             "punkt": item})
        if action is not None:  # the decision's action is in the register now
            auth.record("atgard", {"atgard": action, "handelse": "registrerad",
                                   "titel": text, "mote": m.id})
        st.toast(f"{process.ITEM_KINDS[kind]} sparad i protokollet.", icon=":material/check:")


def _decision(key: str, submit: str, old: pd.Series | None = None,
              action: process.Action | None = None):
    """The decision's fields (a form that Enter does not send); (text, fields, action) when
    sent, else None."""
    labels = _labels()
    with st.form(key, clear_on_submit=old is None, enter_to_submit=False):
        text = st.text_input("Beslut (blir en åtgärd i åtgärdsregistret)", key=f"{key}_titel",
                             value="" if old is None else old["text"])
        c1, c0, c2, c3 = st.columns(4)
        ansvarig = c1.text_input("Ansvarig", key=f"{key}_ansvarig",
                                 value="" if old is None else _s(old["ansvarig"]))
        start = c0.date_input("Start", format="YYYY-MM-DD", key=f"{key}_start",
                              value=action.start if action else date.today())
        follow = c2.date_input("Följs upp", format="YYYY-MM-DD", key=f"{key}_uppfoljning",
                               value=date.today() + timedelta(days=90) if old is None else
                               (None if pd.isna(old["uppfoljning"]) else old["uppfoljning"]))
        typ = c3.selectbox("Typ", list(process.KINDS), format_func=process.KINDS.get,
                           key=f"{key}_typ", index=list(process.KINDS).index(
                               action.typ if action else "kortsiktig"))
        c1, c2 = st.columns(2)
        with c1:
            area = _area_picker("Område", f"{key}_omrade",
                                None if old is None else old["omrade"])
        indicators = c2.multiselect(
            "Indikatorer att följa", list(labels), format_func=labels.get,
            default=[i.matt for i in action.indikatorer] if action else [],
            placeholder="Välj ett eller flera mått", key=f"{key}_indikatorer")
        sent = st.form_submit_button(submit, type="primary", key=f"{key}_skicka")
    if not sent:
        return None
    place = area_options()[area]
    new = meetings.decision_action(
        action, titel=text, start=start, indicators=indicators, postnummer=_postnummer(area),
        omrade=place if area.startswith("omrade:") else "", typ=typ, ansvarig=ansvarig)
    fields = {"text": text, "omrade": place, "ansvarig": ansvarig, "uppfoljning": follow,
              "matt": indicators[0] if indicators else None}
    return text, fields, new


def _forms(engine, m: meetings.Meeting) -> None:
    names = ["Observation", "Beslut", "Samverkansbehov", "Vidare till EST och andra"]
    if m.typ == "analys":  # the quarterly meeting also analyses causes
        names.insert(1, "Orsaksanalys")
    tabs = dict(zip(names, st.tabs(names)))
    for name, kind, prefix, question in (
            ("Observation", "observation", "obs", "Vad har ni sett?"),
            ("Orsaksanalys", "orsak", "orsak", "Vad kan förklara utvecklingen? (orsaker, "
                                               "faktorer, vad som behöver undersökas)")):
        if name not in tabs:
            continue
        with tabs[name], st.form(kind, clear_on_submit=True, enter_to_submit=False):
            text = st.text_area(question, key=f"{prefix}_text", height=80)
            c1, c2 = st.columns(2)
            with c1:
                matt = _measure_picker("Mått", f"{prefix}_matt")
            with c2:
                area = _area_picker("Område", f"{prefix}_omrade")
            if st.form_submit_button(f"Spara {name.lower()}en", key=f"{prefix}_spara"):
                _save(engine, m, kind, text, matt=matt, omrade=area_options()[area])
    with tabs["Beslut"]:
        sent = _decision("beslut", "Spara beslutet")
        if sent is not None:
            text, fields, action = sent
            _save(engine, m, "beslut", text, action=action,
                  **{k: v for k, v in fields.items() if k != "text"})
    for name, kind, prefix, who, what in (
            ("Samverkansbehov", "samverkan", "samv", "Vilken förvaltning eller aktör?",
             "Om vad?"),
            ("Vidare till EST och andra", "vidare", "vidare",
             "Till vem? (t.ex. EST-lägesbilden, kultur- och fritidsförvaltningen)",
             "Vad ska föras vidare?")):
        with tabs[name], st.form(kind, clear_on_submit=True, enter_to_submit=False):
            aktor = st.text_input(who, key=f"{prefix}_aktor")
            text = st.text_area(what, key=f"{prefix}_text", height=80)
            if st.form_submit_button("Spara", key=f"{prefix}_spara"):
                _save(engine, m, kind, text, aktor=aktor)


def _edit(engine, m: meetings.Meeting, items: pd.DataFrame) -> None:
    by_id = {int(r.id): r for r in items.itertuples()}
    chosen = st.selectbox("Punkt", list(by_id), key="mote_andra_val",
                          format_func=lambda i: f"{process.ITEM_KINDS[by_id[i].typ]}: "
                                                f"{by_id[i].text}")
    old = items.set_index("id").loc[chosen]
    key = f"andra_{chosen}"
    if old["typ"] == "beslut":
        action = None
        if not pd.isna(old["atgard_id"]):
            action = process.action(engine, int(old["atgard_id"]))
        sent = _decision(key, "Spara ändringen", old, action)
        if sent is not None:
            _, fields, new = sent
            _change(engine, m, chosen, fields, new if action is not None else None)
    else:
        with st.form(key, enter_to_submit=False):
            text = st.text_area("Text", value=old["text"], key=f"{key}_text", height=80)
            c1, c2, c3 = st.columns(3)
            with c1:
                matt = _measure_picker("Mått", f"{key}_matt", old["matt"])
            with c2:
                area = _area_picker("Område", f"{key}_omrade", old["omrade"])
            aktor = c3.text_input("Aktör eller ansvarig", key=f"{key}_aktor",
                                  value=_s(old["aktor"]) or _s(old["ansvarig"]))
            sent = st.form_submit_button("Spara ändringen", type="primary",
                                         key=f"{key}_skicka")
        if sent:
            who = "aktor" if old["typ"] in ("samverkan", "vidare") else "ansvarig"
            _change(engine, m, chosen, {"text": text, "matt": matt or None,
                                        "omrade": area_options()[area],
                                        who: aktor}, None)
    ask = f"mote_ta_bort_{chosen}"
    if not st.session_state.get(ask):
        if st.button("Ta bort punkten", key="mote_ta_bort", icon=":material/delete:"):
            st.session_state[ask] = True
            st.rerun()
        return
    gone = " Beslutets åtgärd tas bort ur åtgärdsregistret." if old["typ"] == "beslut" else ""
    st.warning(f"Ta bort ”{md(old['text'])}”? Det syns i historiken vem som tog bort vad.{gone}")
    c1, c2 = st.columns(2)
    if c1.button("Ja, ta bort", type="primary", key="mote_ta_bort_ja"):
        with errors.guard():
            meetings.delete_item(engine, chosen, auth.current().who)
            auth.record("mote", {"mote": m.id, "handelse": "punkt borttagen",
                                 "punkt": chosen})
            st.session_state.pop(ask, None)
            st.toast("Punkten är borttagen.", icon=":material/delete:")
            st.rerun()
    if c2.button("Avbryt", key="mote_ta_bort_nej"):
        st.session_state.pop(ask, None)
        st.rerun()


def _change(engine, m, item_id: int, fields: dict, action) -> None:
    with errors.guard():
        changed = meetings.update_item(engine, item_id, auth.current().who, action=action,
                                       known_measures=set(data.config().catalogue.measures),
                                       **fields)
        if changed or action is not None:
            auth.record("mote", {"mote": m.id, "handelse": "punkt ändrad", "punkt": item_id,
                                 "falt": sorted(changed)})
            st.toast("Ändringen är sparad.", icon=":material/check:")
            st.rerun()
        st.info("Inget ändrades.")


def history(engine, m: meetings.Meeting) -> None:
    found = meetings.history_table(engine, m.id, data.config().catalogue)
    if found.empty:
        st.caption("Inga ändringar ännu.")
        return
    st.table(found, hide_index=True)


def _items(engine, m: meetings.Meeting) -> pd.DataFrame:
    items = meetings.items(engine, m.id)
    if items.empty:
        st.caption("Inget antecknat vid det här mötet ännu.")
    else:
        st.table(meetings.items_table(items, data.config().catalogue),
                 hide_index=True)
    return items


@st.fragment(run_every=LIVE_SECONDS)
def _live(engine, meeting_id: int) -> None:
    m = meetings.meeting(engine, meeting_id)
    _items(engine, m)
    st.caption(f"Följer mötet: uppdateras var {LIVE_SECONDS}:e sekund (senast "
               f"{pd.Timestamp.now(tz='Europe/Stockholm'):%H:%M:%S}).")


def record(engine, m: meetings.Meeting, writable: bool, live: bool = False) -> None:
    """The room's input: forms (note-taker), the items so far, edit, delete and history."""
    if live:
        _live(engine, m.id)
        return
    if writable:
        _forms(engine, m)
    items = _items(engine, m)
    if writable and not items.empty:
        with st.expander("Ändra eller ta bort en punkt", icon=":material/edit:"):
            _edit(engine, m, items)
    with st.expander("Historik: vem ändrade vad", icon=":material/history:"):
        history(engine, m)


def protocol(engine, d, m: meetings.Meeting, writable: bool) -> None:
    """Participants, closing, and the protocol files."""
    people = m.deltagare or ""
    if writable:
        with st.form("deltagare", enter_to_submit=False):
            text = st.text_area("Deltagare (en per rad: namn och enhet)", value=people,
                                key="mote_deltagare", height=110)
            sent = st.form_submit_button("Spara deltagarna", key="mote_deltagare_spara")
        if sent:
            with errors.guard():
                meetings.set_participants(engine, m.id, text, auth.current().who)
                auth.record("mote", {"mote": m.id, "handelse": "deltagare"})
                st.toast("Deltagarna är sparade.", icon=":material/check:")
                st.rerun()
    else:
        st.markdown("**Deltagare:** " + (md("; ".join(people.splitlines())) or
                                         "inte antecknade"))
    if m.is_open:
        st.caption("Protokollet skrivs när mötet stängs: datum, period, deltagare, "
                   "observationer, beslut med ansvarig, indikator och uppföljning, och öppna "
                   "punkter. Efter stängningen ändras mötet inte.")
        if not writable:
            return
        ask = f"mote_stang_fraga_{m.id}"
        if not st.session_state.get(ask):
            if st.button("Stäng mötet och skriv protokollet", type="primary",
                         key="mote_stang", icon=":material/lock:"):
                st.session_state[ask] = True
                st.rerun()
            return
        st.warning("Stäng mötet? Efter stängningen kan inget läggas till, ändras eller tas "
                   "bort; öppna punkter följer med till nästa möte.")
        c1, c2 = st.columns(2)
        if c2.button("Avbryt", key="mote_stang_nej"):
            st.session_state.pop(ask, None)
            st.rerun()
        if c1.button("Ja, stäng och skriv protokollet", type="primary", key="mote_stang_ja",
                     icon=":material/lock:"):
            st.session_state.pop(ask, None)
            with errors.guard():
                meetings.close_meeting(engine, m.id, auth.current().who)
                auth.record("mote", {"mote": m.id, "handelse": "stängt"})
                protocol_view.ensure(engine, data.config(), m.id, auth.current().who,
                                     demo=d.is_demo)
                st.rerun()
        return
    with errors.guard():
        made = meetings.protocol_files(engine, data.config(), m, auth.current().who,
                                       demo=d.is_demo, may_write=actions_page.can_write())
        st.caption(f":material/lock: Stängt {pd.Timestamp(m.stangt):%Y-%m-%d} av "
                   f"{md(m.stangt_av or '–')}. Protokollet är sparat med mötet.")
        with st.container(horizontal=True):
            for form in meetings.PROTOCOL_FORMATS:
                name = protocol_view.file_name(m, form)
                st.download_button(
                    f"Protokollet som {FORMAT_LABELS[form]}", key=f"mote_protokoll_{form}",
                    file_name=name, mime=MIME[form], on_click="ignore",
                    icon=":material/download:",
                    data=auth.logged_download(lambda b=made[form]: b, {
                        "vad": f"Protokoll, {process.MEETING_KINDS[m.typ].lower()}",
                        "period": m.period_kod or "", "format": form, "fil": name}))

