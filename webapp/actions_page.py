"""Åtgärder: the register of actions with their effect per indicator, the form to register or
change one (analytiker), and each action's history."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from lagesbild import access, fmt
from lagesbild.views import effect, process, publication
from webapp import auth, data, errors, widgets
from webapp.text import md

ALL = ""
EFFECT_NOTE = ("Effekten jämför åtgärdens område före och efter start med resten av kommunen "
               "under samma månader (högst tolv månader på var sida). **Kvot** under 1 betyder "
               "att området utvecklats bättre än resten av kommunen; intervallet är ett 95 % "
               "konfidensintervall, vidgat för att antal varierar mer än ren slump. "
               "**Per halvår sedan start** visar om effekten håller i sig; **placebo** säger "
               "hur ofta slumpen ger en lika stor skillnad där inget gjordes. Talen har gått "
               "genom röjandekontrollen och slutsatsen bygger på dem. En skillnad visar inte "
               "att åtgärden orsakade den. Se metodnoten under Om data.")


def can_write() -> bool:
    return access.allows(auth.current().role, "analytiker")


def latest(d: data.Data) -> pd.Timestamp | None:
    return process.latest_month(d.counts)


@st.cache_resource(max_entries=16, show_spinner="Beräknar effekter …")
def _effects(url: str, fingerprint: tuple, actions: tuple, end) -> pd.DataFrame:
    # Shared by sessions: published numbers only (views.effect.table protects them).
    d, cfg = data.data(), data.config()
    return effect.table(cfg, d.counts, d.population, list(actions), end,
                        noise_var=publication.noise_variance(d.releases))


@st.cache_resource(max_entries=16, show_spinner="Följer effekten över tid …")
def _over_time(url: str, fingerprint: tuple, action: process.Action, end):
    # Shared by sessions: published numbers only (views.effect publishes them).
    d, cfg = data.data(), data.config()
    return effect.over_time(cfg, d.counts, d.population, action, end)


def over_time(d: data.Data, action: process.Action) -> None:
    """The small chart of the effect per half-year since the start, per indicator."""
    followed = _over_time(data.config().db_url, d.fingerprint, action, latest(d))
    for label, f in followed:
        st.markdown(f"**{md(label)}: kvot per halvår sedan start** (1 = ingen skillnad mot "
                    "resten av kommunen; strecken är 95 % KI, vidgade för överspridning)")
        st.altair_chart(process.effect_chart(f.halfyears), width="stretch")
        if f.peak:
            st.warning(effect.PEAK_WARNING)


def effects(d: data.Data, actions: list[process.Action]) -> pd.DataFrame:
    return _effects(data.config().db_url, d.fingerprint, tuple(actions), latest(d))


def effect_table(d: data.Data, actions: list[process.Action], key: str,
                 fit: bool = False) -> None:
    """The effect per action and indicator, with the note on what it means. *fit*: as two
    narrow full-height tables that fit a 1366 px projector (the page Åtgärder)."""
    cfg = data.config()
    if not actions:
        st.caption("Inga åtgärder att följa upp.")
        return
    safe = effects(d, actions)
    shown = effect.display(safe, cfg, cfg.threshold)
    if fit:
        main, course, counts = effect.compact(shown)
        widgets.fitted(main)
        st.markdown("**Över tid och mot slumpen**")
        widgets.fitted(course)
        with st.expander("Perioder och antal bakom kvoten"):
            widgets.fitted(counts)
    else:
        st.dataframe(shown, hide_index=True, width="stretch", height="content", key=key)
    st.caption(EFFECT_NOTE)


def action_form(key: str, defaults: process.Action | None = None, *,
                submit: str = "Registrera åtgärden") -> process.Action | None:
    """The fields of an action; returns the action when the form is sent, else None."""
    cfg = data.config()
    cat = cfg.catalogue
    names = data.postort_names()
    a = defaults
    measures = list(cat.measures)
    # Enter in a field does not send the 14 fields half-filled (and no English hint shows).
    with st.form(key, clear_on_submit=defaults is None, enter_to_submit=False):
        titel = st.text_input("Titel", value=a.titel if a else "", key=f"{key}_titel")
        beskrivning = st.text_area("Beskrivning", value=a.beskrivning if a else "",
                                   key=f"{key}_beskrivning", height=80)
        c1, c2, c3 = st.columns(3)
        typ = c1.selectbox("Typ", list(process.KINDS), format_func=process.KINDS.get,
                           index=list(process.KINDS).index(a.typ) if a else 1,
                           key=f"{key}_typ")
        niva = c2.selectbox("Prevention", list(process.LEVELS), format_func=process.LEVELS.get,
                            index=list(process.LEVELS).index(a.niva) if a else 1,
                            key=f"{key}_niva")
        status = c3.selectbox("Status", list(process.STATUSES),
                              format_func=process.STATUSES.get,
                              index=list(process.STATUSES).index(a.status) if a else 1,
                              key=f"{key}_status")
        c1, c2 = st.columns(2)
        postnummer = c1.multiselect(
            "Var (postnummer)", sorted(names), default=list(a.postnummer) if a else [],
            format_func=lambda p: f"{fmt.postnummer(p)} {names.get(p, '')}".strip(),
            placeholder="Hela kommunen", key=f"{key}_postnummer")
        grouping = data.grouping()
        larger = []
        if grouping is not None:
            larger = c2.multiselect(
                "… eller större områden", list(grouping.labels),
                format_func=grouping.labels.get, key=f"{key}_storre",
                placeholder="Inget större område",
                help="Åtgärden gäller alla postnummer i områdena; namnet blir områdets.")
        omrade = st.text_input("Områdets namn (valfritt)", value=a.omrade if a else "",
                               key=f"{key}_omrade")
        c1, c2 = st.columns(2)
        kon = c1.selectbox("Målgrupp: kön", [ALL, "K", "M"],
                           format_func={ALL: "Alla", "K": "Flickor/kvinnor",
                                        "M": "Pojkar/män"}.get,
                           index=[ALL, "K", "M"].index(a.kon or ALL) if a else 0,
                           key=f"{key}_kon")
        groups = [ALL, *cat.all_age_groups]
        alder = c2.selectbox("Målgrupp: åldersgrupp", groups,
                             format_func=lambda g: "Alla" if not g else g.replace("-", "–")
                             + " år", index=groups.index(a.aldersgrupp or ALL) if a else 0,
                             key=f"{key}_alder")
        chosen = [i.matt for i in a.indikatorer] if a else []
        indikatorer = st.multiselect("Indikatorer som ska påverkas", measures, default=chosen,
                                     placeholder="Välj ett eller flera mått",
                                     format_func=lambda c: cat.measure(c).short,
                                     key=f"{key}_indikatorer")
        narrowed = st.multiselect(
            "Avgränsa till kategorier (valfritt)", process.category_options(cat),
            default=[f"{i.matt}|{dim}|{v}" for i in (a.indikatorer if a else ())
                     for dim, values in i.kategorier for v in values],
            format_func=lambda o: process.category_label(cat, o),
            placeholder="Alla kategorier",
            help="T.ex. bara orosanmälningar om skolfrånvaro. Måttet blir en indikator.",
            key=f"{key}_kategorier")
        c1, c2 = st.columns(2)
        start = c1.date_input("Start", value=a.start if a else date.today(),
                              format="YYYY-MM-DD", key=f"{key}_start")
        slut = c2.date_input("Slut (valfritt)", value=a.slut if a else None,
                             format="YYYY-MM-DD", key=f"{key}_slut")
        c1, c2 = st.columns(2)
        ansvarig = c1.text_input("Ansvarig enhet", value=a.ansvarig if a else "",
                                 key=f"{key}_ansvarig")
        samverkan = c2.text_input("Samverkanspartner", value=a.samverkan if a else "",
                                  key=f"{key}_samverkan")
        sent = st.form_submit_button(submit, type="primary", key=f"{key}_skicka")
    if not sent:
        return None
    return process.build_action(
        titel=titel, beskrivning=beskrivning, typ=typ, niva=niva, status=status,
        postnummer=postnummer, larger=larger, omrade=omrade, kon=kon, aldersgrupp=alder,
        indikatorer=indikatorer, narrowed=narrowed, start=start, slut=slut,
        ansvarig=ansvarig, samverkan=samverkan, mote_id=a.mote_id if a else None,
        names=names, grouping=grouping)


def _register(engine) -> None:
    with st.expander("Registrera en ny åtgärd", icon=":material/add:"):
        new = action_form("ny_atgard")
        if new is not None:
            with errors.guard():
                action_id = process.add_action(engine, new, auth.current().who,
                                               set(data.config().catalogue.measures))
                auth.record("atgard", {"atgard": action_id, "handelse": "registrerad",
                                       "titel": new.titel})
                st.success(f"Åtgärd {action_id} är registrerad.")


def _one(engine, actions: list[process.Action]) -> None:
    st.subheader("En åtgärd i detalj")
    by_id = {a.id: a for a in actions}
    chosen = st.selectbox("Åtgärd", list(by_id), key="atgard_vald",
                          format_func=lambda i: f"{i}: {by_id[i].titel} ({by_id[i].place})")
    if chosen is None:
        return
    a = by_id[chosen]
    st.markdown(f"**{md(a.titel)}** – {md(a.place)}, start {a.start:%Y-%m-%d}"
                f"{'' if a.slut is None else f', slut {a.slut:%Y-%m-%d}'}  \n"
                f"{process.KINDS[a.typ]}, {process.LEVELS[a.niva].lower()} prevention, "
                f"{process.STATUSES[a.status].lower()}. Ansvarig: {md(a.ansvarig or '–')}. "
                f"Samverkan: {md(a.samverkan or '–')}.")
    if a.beskrivning:
        st.caption(md(a.beskrivning))
    with errors.guard():
        over_time(data.data(), a)
    widgets.fitted(process.action_history(engine, a.id, data.config().catalogue))
    if can_write():
        with st.expander("Ändra eller avsluta åtgärden", icon=":material/edit:"):
            changed = action_form(f"andra_{a.id}", a, submit="Spara ändringarna")
            if changed is not None:
                with errors.guard():
                    diff = process.update_action(engine, a.id, changed, auth.current().who,
                                                 set(data.config().catalogue.measures))
                    if diff:
                        auth.record("atgard", {"atgard": a.id, "handelse": "andrad",
                                               "falt": sorted(diff)})
                        st.success("Ändringarna är sparade.")
                        st.rerun()
                    else:
                        st.info("Inget ändrades.")


def render() -> None:
    st.title("Åtgärder")
    st.caption("Förvaltningens åtgärder: var, för vilka, vilka indikatorer de ska påverka och "
               "om det syns i siffrorna. Analytiker registrerar och ändrar; alla ändringar "
               "sparas med vem och när.")
    with errors.guard():
        d = data.data()
        widgets.demo_banner(d)
        engine = data.engine()
        if can_write():
            _register(engine)
        actions = process.actions(engine)
        if not actions:
            st.info("Inga åtgärder är registrerade ännu.")
            return
        only_open = st.toggle("Bara pågående och planerade", value=False,
                              key="atgarder_pagaende")
        shown = [a for a in actions if not only_open or a.status != "avslutad"]
        st.subheader("Effekt per åtgärd och indikator")
        effect_table(d, shown, "atgarder_effekt", fit=True)
        _one(engine, actions)
