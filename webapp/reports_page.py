"""Rapporter: the lägesbild after the meeting, for the ledningsgrupp (monthly), the
socialnämnd (quarterly), the newsletter and the EST-lägesbild.

Choose the period and the kind of report, read the written summary (built from the published
numbers, ``lagesbild.views.report``), edit it (saved with the period's meeting, role
analytiker) and make the files (``views.report_files``) with a progress bar; every download
goes to the audit log.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lagesbild.errors import LagesbildError
from lagesbild.views import meetings, process, report, report_files, report_inputs
from webapp import actions_page, auth, data, errors, widgets
from webapp.text import md

KINDS = {"manad": "Månad", "kvartal": "Kvartal"}
# A month goes to the ledningsgrupp, a quarter to the socialnämnd.
DEFAULT_TYPE = {"manad": "ledningsgrupp", "kvartal": "namnd"}
DECKS = ("ledningsgrupp", "namnd")
FORMAT_LABELS = {"pptx": "PowerPoint", "pdf": "PDF", "md": "Markdown", "docx": "Word"}


def _options(d: data.Data, kind: str) -> list[str]:
    return process.period_options(d.counts, kind)


def show_text(text: str) -> None:
    """The summary as the files will read it; every line shown literally (escaped)."""
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            st.markdown(f"**{md(line.lstrip('#').strip())}**")
        else:
            st.markdown("- " + md(line[2:] if line.startswith(("- ", "* ")) else line))


def _report(engine, kind: str, code: str, typ: str) -> tuple[report.Report,
                                                               report_files.Inputs]:
    """The report as the command makes it (``views.report_inputs``): the publication as it
    stood when the period's last month was published, the actions of the period."""
    layer = outline = None
    try:
        layer = data.display_layer("postnummer")
        outline = data.map_layer().outline
    except LagesbildError:  # no usable map layer: the deck is made without map slides
        layer = None
    return report_inputs.inputs(data.config(), engine, kind, code, typ,
                                postorter=data.postort_names(), layer=layer, outline=outline)


def _editor(engine, meeting, built: report.Report) -> None:
    st.subheader("Redigera texten")
    if meeting is None:
        st.caption("Det finns inget möte för perioden, så en ändrad text kan inte sparas. "
                   "Öppna mötet (Avstämningsmöte eller Analys- och åtgärdsmöte) för perioden "
                   "först.")
        return
    if not actions_page.can_write():
        st.caption("Rollen analytiker behövs för att ändra texten.")
        return
    saved, who, when = meetings.report_text(engine, meeting.id)
    if saved:
        st.caption(f"Sparad text av {md(who)} {pd.Timestamp(when):%Y-%m-%d %H:%M}. "
                   "Rapporterna använder den.")
    with st.form("rapport_redigera"):
        text = st.text_area("Sammanfattningen (rader som börjar med ## är rubriker, - är "
                            "punkter)", value=built.text, height=320, key="rapport_text")
        save = st.form_submit_button("Spara texten med mötet", type="primary",
                                     icon=":material/save:")
    if save:
        with errors.guard():
            meetings.save_report_text(engine, meeting.id, text, auth.current().who)
            auth.record("mote", {"mote": meeting.id, "handelse": "rapporttext sparad"})
            st.toast("Texten är sparad med mötet.", icon=":material/check:")
            st.rerun()
    if saved and st.button("Återgå till den genererade texten", key="rapport_aterstall",
                           icon=":material/restart_alt:"):
        with errors.guard():
            meetings.save_report_text(engine, meeting.id, None, auth.current().who)
            auth.record("mote", {"mote": meeting.id, "handelse": "rapporttext återställd"})
            st.rerun()


def _template() -> bytes | None:
    """The municipality's PowerPoint template for this session: an upload here, else the one
    in the settings (LAGESBILD_RAPPORTMALL)."""
    configured = data.config().report_template
    with st.expander("Mall för bildspelet (.potx eller .pptx)"):
        st.caption("Bildspelet får mallens bakgrund, typsnitt och färger. "
                   + (f"Inställd mall: {md(configured)}. " if configured else
                      "Ingen mall är inställd (LAGESBILD_RAPPORTMALL); utan mall blir det ett "
                      "enkelt 16:9-bildspel. ")
                   + "En mall du laddar upp här gäller under den här sessionen.")
        upload = st.file_uploader("Ladda upp en mall", type=["potx", "pptx"],
                                  key="rapport_mall_fil")
        if upload is not None:
            raw = upload.getvalue()
            report_files.check_template(raw)  # a Swedish message if it is not a template
            st.session_state["rapport_mall"] = (upload.name, raw)
        chosen = st.session_state.get("rapport_mall")
        if chosen:
            st.caption(f"Används: {md(chosen[0])}.")
            return chosen[1]
    return None


def _slide_order(built: report.Report, inputs: report_files.Inputs) -> list[str]:
    """The slides to include and their order, as the user sets them (all, in order, by
    default)."""
    listed = report_files.slide_list(built, data.config(), inputs)
    st.markdown("**Bilder i bildspelet** – bocka ur det som inte ska visas och ändra "
                "ordningen med numren.")
    table = pd.DataFrame({"Med": True, "Ordning": range(1, len(listed) + 1),
                          "Bild": [title for _, title in listed]})
    edited = st.data_editor(
        table, key=f"rapport_bilder_{built.typ}_{built.code}", hide_index=True,
        width="stretch", height="content", disabled=["Bild"],
        column_config={"Med": st.column_config.CheckboxColumn("Med", width=60),
                       "Ordning": st.column_config.NumberColumn("Ordning", min_value=1,
                                                                step=1, width=80),
                       "Bild": st.column_config.TextColumn("Bild")})
    keys = [key for key, _ in listed]
    rows = sorted(zip(edited["Ordning"].fillna(len(keys) + 1), range(len(keys)),
                      edited["Med"].fillna(False)))
    return [keys[i] for _, i, keep in rows if keep]


def _files(built: report.Report, inputs: report_files.Inputs) -> None:
    st.subheader("Filer")
    cfg = data.config()
    template, order = None, None
    if built.typ in DECKS:
        template = _template()
        order = _slide_order(built, inputs)
    for form in report_files.FORMATS[built.typ]:
        choice = (tuple(order or ()), hash(template)) if form == "pptx" else ()
        key = f"rapport_fil_{built.typ}_{built.code}_{form}_{hash((built.text, choice))}"
        name = report_files.file_name(built, form)
        if key not in st.session_state:
            if st.button(f"Skapa {FORMAT_LABELS[form]}", key=f"skapa_{form}",
                         icon=":material/build:"):
                with errors.guard(), st.status(f"Skapar {FORMAT_LABELS[form]} …",
                                               expanded=True) as status:
                    bar = st.progress(0.0, text="Sammanställer …")
                    made = report_files.write(built, form, cfg, inputs,
                                              progress=lambda x, t: bar.progress(x, text=t),
                                              template=template, order=order)
                    st.session_state[key] = made
                    status.update(label=f"{FORMAT_LABELS[form]} klar", state="complete",
                                  expanded=False)
        if key in st.session_state:
            made = st.session_state[key]
            st.download_button(
                f"Ladda ner {FORMAT_LABELS[form]} ({name})", key=f"ladda_{form}",
                file_name=name, mime=report_files.MIME[form], on_click="ignore",
                icon=":material/download:",
                data=auth.logged_download(lambda m=made: m, {
                    "vad": built.title, "period": built.code, "format": form, "fil": name}))


def _kind_changed() -> None:
    """A new kind of period brings its report type (quarter: the socialnämnd's)."""
    kind = st.session_state.get("rapport_periodtyp", "manad")
    st.session_state["rapport_typ"] = DEFAULT_TYPE[kind]


def render() -> None:
    """The page Rapporter."""
    st.title("Rapporter")
    st.caption("Lägesbilden efter mötet: bildspel för ledningsgruppen (månad) och "
               "socialnämnden (kvartal), text till nyhetsbrevet och underlag till "
               "EST-lägesbilden. Alla tal är publicerade tal (röjandekontroll).")
    with errors.guard():
        d, _ = widgets.page_start(follows_sidebar=False)  # a report is the whole municipality
        engine = data.engine()
        c1, c2, c3 = st.columns(3)
        kind = c1.radio("Period", list(KINDS), format_func=KINDS.get, horizontal=True,
                        key="rapport_periodtyp", on_change=_kind_changed)
        options = _options(d, kind)
        if not options:
            st.info("Det finns ingen hel period av det slaget i data ännu.")
            return
        code = c2.selectbox(KINDS[kind], options, key="rapport_period",
                            format_func=lambda c: report.period_of(kind, c)[1])
        if "rapport_typ" not in st.session_state:
            st.session_state["rapport_typ"] = DEFAULT_TYPE[kind]
        typ = c3.selectbox("Rapport", list(report.TYPES), key="rapport_typ",
                           format_func=lambda t: report.TYPES[t])
        period, label = report.period_of(kind, code)
        meeting = meetings.meeting_for(engine, kind, period.start.date(), period.end.date())
        saved = meetings.report_text(engine, meeting.id)[0] if meeting else None
        built, inputs = _report(engine, kind, code, typ)
        st.caption(f"Underlag från {md(meeting.label)}." if meeting else
                   f"Inget möte är registrerat för {label}: observationer och "
                   "samverkansbehov saknas i rapporten.")
        st.subheader("Sammanfattning" + (" (redigerad)" if saved else ""))
        show_text(built.text)
        st.caption(f"Siffrorna gäller {label}; jämförelser mot samma period ett år tidigare "
                   "och rullande 12 månader. Små tal kan avvika med några enheter och under "
                   f"{built.threshold} visas som ”<{built.threshold}”.")
        _editor(engine, meeting, built)
        st.caption(f"Bygger på {md(built.release)}.")
        _files(built, inputs)
