"""Social lägesbild: the frame of the multipage app (navigation and shared sidebar)."""

import logging
import time
from pathlib import Path

_t0 = time.perf_counter()

import streamlit as st

from lagesbild import logs
from lagesbild.views.app_data import StoreError
from webapp import auth, data, errors, guard, state

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
logs.redact_handlers()  # tracebacks may quote a file's values

# The icon is a file of our own: a :material/…: page icon is fetched from Google's servers,
# which fails offline. The sidebar's state is set by state.apply_presentation().
ICON = str(Path(__file__).parent / "webapp" / "ikon.png")
st.set_page_config(page_title="Social lägesbild", page_icon=ICON, layout="wide")

# Downloads and metrics only for a live login (or this computer): see webapp/guard.py.
guard.install()
# Login (or local mode) first: nothing below runs for someone who may not see the app.
auth.gate()

# Pages live in app_pages/, not pages/: Streamlit treats a pages/ folder as the legacy page
# list, which made deep links show "Page not found" and AppTest run pages without app.py.
pages = {
    "Lägesbild": [
        st.Page("app_pages/oversikt.py", title="Översikt", icon=":material/dashboard:",
                default=True),  # the default page lives at the root URL
        st.Page("app_pages/karta.py", title="Karta", icon=":material/map:", url_path="karta"),
    ],
    "Arbetssätt": [
        st.Page("app_pages/prioritering.py", title="Områden att prioritera",
                icon=":material/priority_high:", url_path="prioritering"),
        st.Page("app_pages/avstamning.py", title="Avstämningsmöte",
                icon=":material/groups:", url_path="avstamningsmote"),
        st.Page("app_pages/analysmote.py", title="Analys- och åtgärdsmöte",
                icon=":material/analytics:", url_path="analysmote"),
        st.Page("app_pages/atgarder.py", title="Åtgärder", icon=":material/flag:",
                url_path="atgarder"),
        st.Page("app_pages/omvarld.py", title="Omvärldsbevakning", icon=":material/public:",
                url_path="omvarld"),
        st.Page("app_pages/rapporter.py", title="Rapporter", icon=":material/description:",
                url_path="rapporter"),
    ],
    "Verksamhetsområden": [
        st.Page("app_pages/barn.py", title="Barn och unga", icon=":material/child_care:",
                url_path="barn-och-unga"),
        st.Page("app_pages/vald.py", title="Våld i nära relation",
                icon=":material/shield_person:", url_path="vald-i-nara-relation"),
        st.Page("app_pages/beroende.py", title="Skadligt bruk och beroende",
                icon=":material/local_bar:", url_path="skadligt-bruk"),
        st.Page("app_pages/ekonomi.py", title="Ekonomi och boende", icon=":material/home:",
                url_path="ekonomi-och-boende"),
        st.Page("app_pages/personal.py", title="Trygghet för personal",
                icon=":material/badge:", url_path="trygghet-for-personal"),
    ],
    "Data": [
        # A page a role may not open is hidden from the menu but keeps its URL, so a direct
        # link says in Swedish which role it needs instead of Streamlit's "Page not found".
        st.Page("app_pages/data.py", title="Import och datakvalitet",
                icon=":material/upload_file:", url_path="data",
                visibility=auth.visibility("data")),
        st.Page("app_pages/om.py", title="Om data", icon=":material/info:", url_path="om-data"),
        st.Page("app_pages/logg.py", title="Logg", icon=":material/history:", url_path="logg",
                visibility=auth.visibility("logg")),
        st.Page("app_pages/installningar.py", title="Inställningar", icon=":material/settings:",
                url_path="installningar", visibility=auth.visibility("installningar")),
    ],
}
# In presentation mode the menu sits at the top of the page, so it works with the sidebar
# folded away. Every page is listed: with the Arbetssätt pages Streamlit would hide some behind
# "View more", and a meeting should find Om data and the measures without a click.
page = st.navigation(pages, position="top" if state.seed_presentation() else "sidebar",
                     expanded=True)
auth.sidebar()  # who is logged in (or local mode), under the menu

with errors.guard() as shared:
    state.sidebar_filters(data.data())
if isinstance(shared.error, StoreError):  # no page can work without the store: say it once
    st.stop()
state.apply_presentation()
page.run()
logging.getLogger("lagesbild.app").debug("script run %.3f s", time.perf_counter() - _t0)
