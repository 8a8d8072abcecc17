"""Social lägesbild: the frame of the multipage app (navigation and shared sidebar)."""

import logging
import time

_t0 = time.perf_counter()

import streamlit as st

import ui

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="Social lägesbild", page_icon=":material/query_stats:",
                   layout="wide", initial_sidebar_state="expanded")

# url_path differs from the file names on purpose: AppTest also sees pages/ as the legacy
# page folder and would otherwise run a page file without app.py after a widget change.
pages = [
    st.Page("pages/oversikt.py", title="Översikt", icon=":material/dashboard:", default=True,
            url_path="start"),
    st.Page("pages/om.py", title="Om data", icon=":material/info:", url_path="om-data"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:", url_path="import"),
]
page = st.navigation(pages)

with ui.guard():
    ui.sidebar_filters(ui.data())
page.run()
logging.getLogger("lagesbild.app").debug("script run %.3f s", time.perf_counter() - _t0)
