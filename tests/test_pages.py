"""Every page runs through Streamlit's AppTest on the demo data, with its key elements."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, shown_tables
from streamlit.testing.v1 import AppTest

PAGES = ["app_pages/oversikt.py", "app_pages/karta.py", "app_pages/om.py",
         "app_pages/data.py", "app_pages/logg.py", "app_pages/installningar.py",
         "app_pages/prioritering.py", "app_pages/avstamning.py", "app_pages/analysmote.py",
         "app_pages/atgarder.py", "app_pages/omvarld.py", "app_pages/rapporter.py"]
TIMEOUT = 60  # the first run builds the store from the demo files


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_without_errors(page):
    at = _app().run()
    at.switch_page(page).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    if page not in ("app_pages/logg.py", "app_pages/installningar.py",
                    "app_pages/omvarld.py"):  # not about data
        # A banner; a meeting page with a meeting (another test may have opened one) says
        # it in its status line instead.
        assert any("Demodata" in w.value for w in at.warning) or \
            any("Demodata" in m.value for m in at.markdown)


def test_overview_shows_a_card_per_measure_and_the_map():
    at = _app().run()
    labels = [m.label for m in at.metric]
    assert len(at.metric) == 7
    assert labels[0].startswith("Orosanmälningar")
    # Reading order is the cards' order, row by row (a screen reader read them column by
    # column when the cards were dealt into four columns).
    import pandas as pd

    from lagesbild.analysis import aggregate
    from lagesbild.views import overview
    from webapp import data

    cards = overview.cards(data.data().counts, data.config(), pd.Timestamp("2026-10-01"),
                           aggregate.Filters())
    assert labels == [c.title for c in cards]

    assert at.get("deck_gl_json_chart"), "the map is missing"
    assert at.session_state["manad"] == "2026-10"
    assert at.query_params["manad"] == "2026-10"


def test_filters_change_the_numbers_and_land_in_the_url():
    at = _app().run()
    before = at.metric[0].value
    at.radio(key="kon").set_value("K").run()
    assert not at.error
    assert at.metric[0].value != before
    assert at.query_params["kon"] == "K"
    # Sex does not apply to evictions: the card says so rather than showing nothing.
    assert any("gäller inte detta mått" in c.value for c in at.caption)


def test_a_copied_link_reopens_the_same_view():
    at = _app()
    at.query_params["manad"] = "2024-06"
    at.query_params["kon"] = "M"
    at.query_params["alder"] = ["0-5", "6-11"]
    at.run()
    assert at.session_state["manad"] == "2024-06"
    assert at.session_state["kon"] == "M"
    assert at.session_state["alder"] == ["0-5", "6-11"]
    assert any("juni 2024" in c.value for c in at.caption)


def test_nonsense_in_the_url_falls_back_to_defaults():
    at = _app()
    at.query_params["manad"] = "1999-13"
    at.query_params["omrade"] = ["00000"]
    at.run()
    assert not at.exception and not at.error
    assert at.session_state["manad"] == "2026-10"
    assert at.session_state["omrade"] == []


def test_about_page_lists_measures_and_batches():
    at = _app().run()
    at.switch_page("app_pages/om.py").run()
    measures = shown_tables(at)[0]
    assert "Orosanmälningar och aktualiseringar, barn och unga" in measures["Mått"].tolist()
    batches = next(t for t in shown_tables(at) if "Rader sparade" in t.columns)
    assert len(batches) >= 8


def test_about_page_holds_the_method_note():
    from lagesbild.views import method

    at = _app().run()
    at.switch_page("app_pages/om.py").run()
    assert method.TITLE in [h.value for h in at.subheader]
    text = " ".join(m.value for m in at.markdown)
    assert "Holms metod" in text and "Inget utöver det väntade" in text


def test_action_page_follows_the_effect_per_half_year():
    at = _app().run()
    at.switch_page("app_pages/atgarder.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "kvot per halvår sedan start" in text
    charts = at.get("vega_lite_chart")
    assert charts, "the small chart of the effect over time"
    table = next(t for t in shown_tables(at) if "Per halvår sedan start" in t.columns)
    assert table["Per halvår sedan start"].iloc[0].count(";") >= 3
    assert table["Slumpen (placebo)"].iloc[0].startswith("Så ofta ger slumpen")


def test_the_map_can_zoom_to_the_town():
    at = _app().run()
    whole = at.get("deck_gl_json_chart")[0].proto.json
    at.radio(key="kartvy_orosanmalningar").set_value("tatort").run()
    town = at.get("deck_gl_json_chart")[0].proto.json
    assert not at.error
    assert at.query_params["kartvy_orosanmalningar"] == "tatort"  # a link keeps the zoom
    assert json.loads(town)["initialViewState"]["zoom"] > \
        json.loads(whole)["initialViewState"]["zoom"] + 1


RECORDS = ("om", "data", "logg", "installningar", "atgarder", "omvarld")  # not data pages


def test_an_empty_store_shows_a_plain_message_on_every_page(tmp_path):
    data_pages = sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py")
                        if p.stem not in ("om", "data", "logg", "installningar", "atgarder",
                                          "omvarld"))
    # A separate process: the app's config is cached for the life of a process.
    script = (
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=60).run()\n"
        f"for page in {data_pages + [f'app_pages/{p}.py' for p in RECORDS]!r}:\n"
        "    at.switch_page(page).run()\n"
        "    assert not at.exception and not at.error, (page, at.exception)\n"
        "    print(page, '|'.join(i.value for i in at.info))\n"
    )
    env = {**os.environ, "LAGESBILD_DEMO": "0",
           "LAGESBILD_DB_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}"}
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    shown = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    assert len(data_pages) == 11
    for page in data_pages:
        assert "inga data i databasen" in shown.get(page, ""), page


def test_chosen_areas_are_marked_on_the_map():
    at = _app().run()
    at.multiselect(key="omrade").set_value(["97231", "97345"]).run()
    assert not at.error
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    marked = next(layer for layer in spec["layers"] if layer["id"] == "valda")
    assert {f["properties"]["postnummer"] for f in marked["data"]["features"]} == \
        {"97231", "97345"}
    assert at.query_params["omrade"] == ["97231", "97345"]


def _karta() -> AppTest:
    at = _app().run()
    at.switch_page("app_pages/karta.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _table(at) -> pd.DataFrame:
    frame = at.dataframe[0].value
    return frame.data if hasattr(frame, "data") else frame  # a Styler keeps its frame in .data


def test_karta_shows_map_funnel_and_table():
    at = _karta()
    assert at.get("deck_gl_json_chart"), "the map is missing"
    assert at.session_state["matt"] == "orosanmalningar"
    assert at.session_state["period_rullande"] == "2026-10"
    assert any("trattens kanter" in m.value for m in at.markdown)
    table = _table(at)
    assert {"Postnummer", "Antal", "Per 1 000", "Jämfört med kommunen"} <= set(table.columns)
    assert len(table) == 100
    assert at.query_params["matt"] == "orosanmalningar"


def test_karta_measure_period_and_level_change_the_view():
    at = _karta()
    at.selectbox(key="matt").set_value("vald_i_nara_relation").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    at.selectbox(key="period_typ").set_value("kvartal").run()
    assert at.session_state["period_kvartal"] == "2026-Q3"  # the last whole quarter
    at.radio(key="niva").set_value("omrade").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = _table(at)
    assert "Områden" in table.columns and len(table) == 7
    assert at.query_params["niva"] == "omrade"
    assert at.query_params["period_kvartal"] == "2026-Q3"


def test_karta_period_follows_the_sidebar_month():
    at = _karta()
    assert at.session_state["period_rullande"] == "2026-10"
    at.selectbox(key="manad").set_value("2025-03").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["period_rullande"] == "2025-03"
    at.selectbox(key="period_typ").set_value("ar").run()
    assert at.session_state["period_ar"] == "2025"
    at.selectbox(key="manad").set_value("2024-06").run()
    assert at.session_state["period_ar"] == "2024"


def test_karta_selecting_an_area_opens_its_profile():
    at = _karta()
    at.selectbox(key="profil").set_value("97442").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    texts = " ".join(m.value for m in at.markdown)
    assert "974 42 Luleå jämfört med hela kommunen" in texts
    assert "Fördelning i 974 42 Luleå" in texts and "Befolkning i 974 42 Luleå" in texts
    assert at.query_params["profil"] == "97442"
    # The change metric colours the map by change; the profile stays.
    at.selectbox(key="varde").set_value("forandring_pct").run()
    assert not at.error and at.session_state["profil"] == "97442"


def test_karta_link_reopens_area_level_and_profile():
    at = _app()
    at.query_params["matt"] = "orosanmalningar"
    at.query_params["niva"] = "omrade"
    at.query_params["profil"] = "vaster"
    at.run()
    at.switch_page("app_pages/karta.py").run()
    assert at.session_state["niva"] == "omrade"
    assert at.session_state["profil"] == "vaster"
    assert any("Väster och nordväst (974) jämfört" in m.value for m in at.markdown)
