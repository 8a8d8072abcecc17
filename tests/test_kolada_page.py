"""The comparison with riket, länet and similar municipalities on the measure pages, and
Kolada's export through the page Import (AppTest on the demo store)."""

import os

import pytest
import sqlalchemy as sa
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from lagesbild import store
from lagesbild.intake import kolada
from lagesbild.store import kolada as cache
from lagesbild.store.schema import audit_log, kolada_kpis, kolada_values
from lagesbild.views import comparison

TIMEOUT = 90
CSV = ("Kommun;Kommun-id;Nyckeltal-id;År;Kön;Värde;Status\n"
       "Luleå;2580;N33818;2025;Totalt;8,7;B\n"
       "Norrbottens län;0025;N33818;2025;Totalt;9,9;\n"
       "Riket;0000;N33818;2025;Totalt;7,4;\n"
       "Piteå;2581;N33818;2025;Totalt;6,0;\n"
       "Skellefteå;2482;N33818;2025;Totalt;7,0;\n").encode()


@pytest.fixture
def engine():
    """The app's store, without Kolada figures before and after the test."""
    engine = store.connect(os.environ["LAGESBILD_DB_URL"])
    AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()  # demo loaded

    def clear():
        with engine.begin() as conn:
            conn.execute(kolada_values.delete())
            conn.execute(kolada_kpis.delete())
    clear()
    yield engine
    clear()


def _page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    return at.switch_page(path).run()


def test_without_figures_the_page_says_how_to_get_them(engine):
    at = _page("app_pages/barn.py")
    assert not at.exception and not at.error
    assert any(s.value == "Jämfört med riket, länet och liknande kommuner" for s in at.subheader)
    assert any(i.value == comparison.EMPTY for i in at.info)
    # Local mode is a förvaltare: the fetch button is there, and nothing was fetched.
    assert any(b.key == "orosanmalningar_kolada_hamta" for b in at.button)


def test_cached_figures_stand_beside_riket_lanet_and_our_own_rate(engine):
    values = kolada.frame([
        {"kpi": "N33818", "kommun": k, "ar": 2025, "kon": "T", "varde": v, "status": s,
         "underlag": None}
        for k, v, s in (("2580", 8.7, "B"), ("0025", 9.9, ""), ("0000", 7.4, ""),
                        ("2581", 6.0, ""), ("2482", 7.0, ""))])
    cache.write_values(engine, values, "api")
    at = _page("app_pages/barn.py")
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "Norrbottens län" in d.value.columns)
    row = table.iloc[0]
    assert (row["År"], row["Kön"], row["Luleå"], row["Norrbottens län"], row["Riket"]) == \
        (2025, "Totalt", "8,7", "9,9", "7,4")
    assert row["Jämförbara kommuner (ovägt medel)"] == "6,5"
    assert row["Status (Kolada)"] == "Luleå: B"
    own = "Egen: anmälningar per 1 000 barn och unga 0–20 år"
    assert own in table.columns and row[own] != "–"  # 2025 is a whole demo year
    captions = [c.value.replace("\\", "") for c in at.caption]  # md() escapes punctuation
    assert any("Källa: Kolada (RKA), nyckeltal N33818" in c for c in captions)
    assert any(c.startswith("Definitionerna skiljer sig") for c in captions)
    assert any("Inte hämtade ännu: N33009" in c for c in captions)
    # The other pages keep their own indicators: nothing of N33818 on Beroende.
    beroende = _page("app_pages/beroende.py")
    assert any(i.value == comparison.EMPTY for i in beroende.info)


def test_kolada_export_through_the_import_page(engine):
    at = _page("app_pages/data.py")
    at.selectbox(key="matt").set_value("kolada").run()
    at.file_uploader(key="fil_0").upload("kolada_N33818.csv", CSV, "text/csv").run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Värden"] == "5"
    preview = at.dataframe[0].value
    assert list(preview["Område"]) == ["Luleå", "Norrbottens län", "Riket", "Piteå",
                                       "Skellefteå"]
    at.button(key="spara_kolada").click().run()
    assert any("Sparade 5 jämförelsetal" in s.value for s in at.success)
    stored = cache.read_values(engine)
    assert len(stored) == 5 and set(stored["source"]) == {"kolada_N33818.csv"}
    with engine.connect() as conn:
        last = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc())).first()
    assert last.action == "kolada" and "kolada_N33818.csv" in last.details
    assert "8.7" not in last.details  # never the numbers
    assert stored.set_index("kommun").loc["2580", "varde"] == 8.7
