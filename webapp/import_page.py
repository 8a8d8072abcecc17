"""Import och datakvalitet: import a file (preview, map unknown codes, confirm), undo batches,
see which months are missing."""

import datetime as dt

import pandas as pd
import streamlit as st

from lagesbild import access, fmt
from lagesbild.views import importing
from webapp import auth, comparison, data, errors, widgets
from webapp.text import md

state = st.session_state


def _plan(engine, cfg, upload, measure, profile, extracted, bar):
    """The import plan for the current choices, made once and kept in the session."""
    content = upload.getvalue()
    key = importing.plan_key(engine, content, upload.name, measure, profile, extracted)
    if state.get("_plan_key") != key:
        state["_plan"] = importing.plan(
            engine, cfg, content, upload.name, measure, profile, extracted,
            progress=lambda fraction, text: bar.progress(fraction, text=text))
        state["_plan_key"] = key
    bar.empty()
    return state["_plan"]


def _mapping_form(cfg, plan, measure, profile):
    """Let the user map unknown category values; the mapping is saved into the profile."""
    cat = cfg.catalogue
    st.subheader("Okända värden")
    st.caption("Välj vilken kategori i katalogen varje värde betyder. Mappningen sparas i "
               "källprofilen och används vid nästa inläsning.")
    chosen = {}
    for column, values in plan.unknown.items():
        options = importing.category_options(cat, measure, column)
        st.markdown(f"**{cat.measure(measure).dimension_label(column)}**")
        # Never offered (so never written into a profile): what could be a personnummer.
        for i, value in enumerate(importing.mappable(values)):
            code = st.selectbox(f"”{md(value)}” betyder", [None, *options],
                                key=f"map_{column}_{i}",
                                format_func=lambda c, o=options: "(välj)" if c is None else o[c])
            if code:
                chosen.setdefault(column, {})[value] = code
    if profile is None:
        name = st.text_input("Namn på ny profil (till exempel lifecare_orosanmalningar)",
                             key="ny_profil")
        system = st.text_input("Källsystem (till exempel Lifecare)", key="nytt_system")
    if st.button("Spara mappningen i profilen", disabled=not chosen, key="spara_mappning"):
        with errors.guard() as saving:  # a taken or unsafe name: say so here, keep the page
            target = importing.save_mapping(cfg, profile, None if profile else name,
                                            None if profile else system, measure, chosen)
            auth.record("profil", {"profil": target.name, "matt": measure, "mappning": chosen,
                                   "ny": profile is None})
        if saving.error is None:
            state["_valj_profil"] = (measure, target.name)  # the widget exists: set it next run
            st.rerun()


def _import_section(cfg, engine):
    cat = cfg.catalogue
    if "_sparad" in state:
        st.success(state.pop("_sparad"), icon=":material/check_circle:")
    upload = st.file_uploader("Fil att läsa in (Excel .xlsx/.xls/.ods eller CSV)",
                              type=["xlsx", "xlsm", "xls", "ods", "csv", "txt"],
                              max_upload_size=cfg.max_file_mb,
                              key=f"fil_{state.get('_omgang', 0)}",
                              help=f"Högst {cfg.max_file_mb} MB.")
    measures = {code: m.label for code, m in cat.measures.items()} | {
        importing.POPULATION: "Befolkning (SCB)", comparison.KOLADA: comparison.KOLADA_LABEL}
    found, broken = importing.scan_profiles(cfg)
    for warning in broken:  # named and skipped: the other profiles still work
        st.warning(warning, icon=":material/warning:")
    guessed = importing.guess_profile(found, upload.name) if upload else None
    if guessed and state.get("_gissad") != upload.name:  # a new file: follow its profile
        state["matt"], state[f"profil_{guessed.measure}"] = guessed.measure, guessed.name
        state["_gissad"] = upload.name
    if "_valj_profil" in state:
        chosen_measure, name = state.pop("_valj_profil")
        state[f"profil_{chosen_measure}"] = name
    left, right = st.columns(2)
    measure = left.selectbox("Mått", list(measures), format_func=measures.get, key="matt")
    if measure == comparison.KOLADA:  # public statistics, not monthly counts: its own preview
        comparison.import_export(upload)
        return
    names = {p.name: p for p in found if p.measure == measure}
    chosen = right.selectbox("Källprofil", [None, *names], key=f"profil_{measure}",
                             format_func=lambda n: "Ingen (katalogens rubriker)" if n is None
                             else fmt.clean(f"{n} ({names[n].system})", newlines=False))
    profile = names.get(chosen)
    left, right = st.columns(2)
    who = auth.current()
    right.caption(f"Läses in som {md(who.who)} (från inloggningen).")
    extracted = left.date_input("Uttagsdatum", value=None, key="uttag", format="YYYY-MM-DD",
                                min_value=importing.EARLIEST,
                                max_value=dt.date.today(),
                                 help="När exporten togs ut. Tomt: datumet i filens "
                                      "rubrikrader, om det finns.")
    if upload is None:
        st.caption("Personnummer får inte finnas i filen: en kolumn som ser ut att innehålla "
                   "personnummer stoppar inläsningen. Bara katalogens dimensioner sparas.")
        return
    plan = _plan(engine, cfg, upload, measure, profile, extracted, st.progress(0.0))
    one, many = ("år", "år") if measure == importing.POPULATION else ("månad", "månader")

    cols = st.columns(4)
    cols[0].metric("Rader lästa", fmt.number(plan.rows_read))
    cols[1].metric("Rader som sparas", fmt.number(plan.rows_kept))
    cols[2].metric(f"Nya {many}", fmt.number(len(plan.added)))
    cols[3].metric(f"{many.capitalize()} som ersätts", fmt.number(len(plan.replaced)))
    details = [x for x in (plan.source_system and f"Källsystem: {md(plan.source_system)}",
                           plan.extracted and f"uttagsdatum: {plan.extracted}") if x]
    if details:
        st.caption(", ".join(details) + ".")
    if plan.dropped_columns:
        st.caption(f"Kolumner som inte sparas: {', '.join(map(md, plan.dropped_columns))}.")
    if not plan.ok:
        st.error(f"{fmt.number(len(plan.problems))} problem: inget sparas förrän de är rättade "
                 "i filen eller i profilen.", icon=":material/error:")
        widgets.fitted(pd.DataFrame({"Problem": plan.problems}))
        if plan.unknown:
            _mapping_form(cfg, plan, measure, profile)
        return
    widgets.fitted(importing.changes(plan))
    # The store version of the preview the user saw before this run: a click that comes after
    # someone else changed the store must not save a preview made afresh on this very run.
    seen, state["_visad"] = state.get("_visad"), plan.fingerprint
    confirmed = True
    if plan.replaced:
        n = len(plan.replaced)
        st.warning(f"{fmt.number(n)} {one if n == 1 else many} finns redan och ersätts av "
                   "filens siffror. Det går att ångra efteråt (batchlistan nedan).",
                   icon=":material/warning:")
        confirmed = st.checkbox(f"Ja, ersätt de {many} som redan finns", key="bekrafta")
    if st.button("Spara i databasen", type="primary", disabled=not confirmed, key="spara"):
        if seen != plan.fingerprint:
            st.error(importing.STALE + " Förhandsgranskningen ovan är ny.", icon=":material/error:")
            return
        bar = st.progress(0.0, text="Sparar …")
        with errors.guard() as saving:  # busy, stale, full: said here; the batch list stays
            done = importing.commit(engine, cfg, plan, who.who,
                                    progress=lambda fraction, text: bar.progress(fraction,
                                                                                 text=text))
            auth.record("import", importing.details(plan, done.batch_id))
        if saving.error is not None:
            bar.empty()
            return
        state["_sparad"] = (f"Sparade batch {done.batch_id}: {fmt.number(done.rows_stored)} "
                            f"rader från {md(done.source)}.")
        state["_omgang"] = state.get("_omgang", 0) + 1  # a fresh, empty uploader
        state.pop("bekrafta", None)
        st.rerun()


def _batches_section(cfg, engine, d):
    st.subheader("Inlästa filer")
    table = importing.batches(d.batches, cfg.catalogue)
    widgets.fitted(table)
    if table.empty:
        return
    if "_angrad" in state:
        st.success(state.pop("_angrad"), icon=":material/undo:")
    labels = importing.undo_choices(table)
    if not labels:
        return
    batch = st.selectbox("Batch att ångra", list(labels), format_func=labels.get,
                         key="angra_batch")
    if st.button("Ångra batch …", key="angra"):
        state["_angra"] = batch
    if state.get("_angra") == batch:
        st.warning(f"Ta bort batch {md(labels[batch])}? Perioder som batchen ersatte visar åter "
                   "den tidigare inläsningen.", icon=":material/warning:")
        yes, no = st.columns(2)
        if yes.button("Ja, ta bort batchen", type="primary", key="angra_ja"):
            state.pop("_angra")
            with errors.guard() as undoing:  # busy or read-only: said here, the list stays
                gone = importing.undo(engine, batch, auth.current().who)
                auth.record("angra", {"batch": batch, "matt": gone["measure"],
                                      "fil": gone["source"]})
            if undoing.error is None:
                state["_angrad"] = f"Batch {md(labels[batch])} är ångrad."
                st.rerun()
        if no.button("Avbryt", key="angra_nej"):
            state.pop("_angra")
            st.rerun()


def _publish_section(cfg, engine, d):
    """Publicera: the month's delivery per measure, then one protected release of it."""
    st.subheader("Publicera")
    st.caption("En månad syns på sidorna, i rapporterna och i kommandona först när den är "
               "publicerad. Då skyddas den en gång för alla (se Om data); en ny leverans för en "
               "publicerad månad ger en ny version när månaden publiceras igen. Mått som inte "
               "levererat månaden visas som ”inga uppgifter”, aldrig som 0.")
    if "_publicerad" in state:
        st.success(state.pop("_publicerad"), icon=":material/publish:")
    months = importing.months_to_publish(d.batches, cfg.catalogue)
    if not months:
        st.info("Det finns inget inläst att publicera ännu.")
        return
    published = {r.month: r for r in d.releases}
    waiting = [m for m in months if m not in published]
    default = waiting[-1] if waiting else months[0]
    month = st.selectbox("Månad", months, index=months.index(default), key="publicera_manad",
                         format_func=lambda m: fmt.month(f"{m}-01") + (
                             f" (publicerad, version {published[m].version})"
                             if m in published else " (inte publicerad)"))
    widgets.fitted(importing.delivery(engine, cfg, month))
    may = access.allows(auth.current().role, "forvaltare")
    if not may:
        st.caption("Bara en förvaltare kan publicera.")
    again = month in published
    if st.button(f"Publicera {fmt.month(f'{month}-01')}" + (" igen (ny version)" if again else ""),
                 type="primary", disabled=not may, key="publicera"):
        with errors.guard() as publishing:
            with st.spinner("Publicerar …"):
                done = importing.publish_month(engine, cfg, month, auth.current().who)
            auth.record("publicering", {"manad": month, "version": done.version})
        if publishing.error is None:
            state["_publicerad"] = (f"{fmt.month(f'{month}-01')} är publicerad "
                                    f"(version {done.version}).")
            st.rerun()


def render() -> None:
    auth.require("data")
    st.title("Import och datakvalitet")
    with errors.guard():
        cfg, engine = data.config(), data.engine()
        d = data.data()
        widgets.demo_banner(d)
        st.caption("Läs in månadens exporter. Filen kontrolleras först och du ser vad som ändras "
                   "innan något sparas.")
        with errors.guard():  # a file that breaks the import keeps the batch list below
            _import_section(cfg, engine)
        _batches_section(cfg, engine, d)
        _publish_section(cfg, engine, d)
        st.subheader("Datakvalitet")
        st.caption("Månader utan publicerade uppgifter mellan måttets första månad och den "
                   "senaste publicerade, per mått.")
        widgets.fitted(importing.quality(d.counts, d.population, cfg.catalogue))
