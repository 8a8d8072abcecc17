"""The comparison with riket, länet and similar municipalities on the measure pages and on
Översikt, the demo's offline snapshot, and Kolada's export through the page Import (AppTest
on the demo store)."""

import os
import urllib.parse

import pytest
import sqlalchemy as sa
from conftest import ROOT, shown_tables
from streamlit.testing.v1 import AppTest

from lagesbild import store
from lagesbild.intake import kolada
from lagesbild.store import kolada as cache
from lagesbild.store.schema import (audit_log, kolada_areas, kolada_groups, kolada_kpis,
                                    kolada_values)
from lagesbild.views import comparison

TIMEOUT = 90
SNAPSHOT = ROOT / "data" / "kolada_demo.json"
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
            conn.execute(kolada_areas.delete())
            conn.execute(kolada_groups.delete())
    clear()
    yield engine
    clear()
    cache.load_snapshot(engine, SNAPSHOT)  # as the demo had it


def _page(path: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(path).run()


def test_without_figures_the_page_says_how_to_get_them_and_what_kolada_lacks(engine):
    at = _page("app_pages/barn.py")
    assert not at.exception and not at.error
    assert any(s.value == "Jämfört med riket, länet och liknande kommuner" for s in at.subheader)
    assert any(i.value == comparison.EMPTY for i in at.info)
    assert any("Kolada har inget nyckeltal för orosanmälningar" in i.value.replace("\\", "")
               for i in at.info)
    # Local mode is a förvaltare: the fetch button is there, and nothing was fetched.
    assert any(b.key == "orosanmalningar_kolada_hamta" for b in at.button)


def test_cached_figures_stand_beside_riket_lanet_and_our_own_rate(engine):
    values = kolada.frame([
        {"kpi": "U00915", "kommun": k, "ar": 2025, "kon": "T", "varde": v, "status": s,
         "underlag": None}
        for k, v, s in (("2580", 8.7, "B"), ("0025", 9.9, ""), ("0000", 7.4, ""),
                        ("0163", 6.0, ""), ("2482", 7.0, ""))])
    cache.write_values(engine, values, "api")
    cache.write_group(engine, kolada.Group("G36579", "Liknande kommuner IFO, Luleå, 2024", 2024,
                                           {"0163": "Sollentuna", "2482": "Skellefteå"}),
                      "IFO", "api")
    at = _page("app_pages/ekonomi.py", delmatt="Vräkningar")
    assert not at.exception and not at.error
    table = next(t for t in shown_tables(at) if "Region Norrbotten" in t.columns)
    row = table.iloc[0]
    assert (row["År"], row["Kön"], row["Luleå"], row["Region Norrbotten"], row["Riket"]) == \
        (2025, "Totalt", "8,7", "9,9", "7,4")
    assert row["Liknande kommuner (ovägt medel)"] == "6,5"
    assert row["Status (Kolada)"] == "Luleå: B"
    own = "Egen: antal berörda barn per 100\u00a0000 invånare"
    assert own in table.columns and row[own] != "–"  # 2025 is a whole demo year
    captions = [c.value.replace("\\", "") for c in at.caption]  # md() escapes punctuation
    assert any("Källa: Kolada (RKA), nyckeltal U00915" in c for c in captions)
    assert any("Koladas grupp ”Liknande kommuner IFO, Luleå, 2024” (G36579, 2024)" in c
               for c in captions)
    assert any(c.startswith("Definitionerna skiljer sig") for c in captions)
    assert any("Inte hämtade ännu: U00958" in c for c in captions)
    assert not any("SYNTETISKA" in w.value for w in at.warning)  # fetched, not the demo's
    # The other pages keep their own indicators: nothing of U00915 on Beroende.
    beroende = _page("app_pages/beroende.py")
    assert any(i.value == comparison.EMPTY for i in beroende.info)


def test_the_demo_snapshot_shows_the_comparison_offline_on_oversikt_and_pages(engine):
    cache.load_snapshot(engine, SNAPSHOT)
    at = _page("app_pages/oversikt.py")
    assert not at.exception and not at.error, [e.value for e in at.error]
    table = next(t for t in shown_tables(at) if "Plats bland kommunerna" in t.columns)
    overview = [k for k, v in catalogue_kpis().items() if v.overview]
    assert [n.split()[0] for n in table["Nyckeltal"]] == overview
    assert table["Plats bland kommunerna"].str.fullmatch(r"\d+ av 290").all()
    assert (table.set_index(table["Nyckeltal"].str.split().str[0])
            .loc["U00915", "Egen siffra, samma enhet"] != "–")
    assert not (table[["Luleå", "Riket", "Region Norrbotten",
                       "Liknande kommuner (ovägt medel)"]] == "–").any().any()
    assert any("SYNTETISKA" in w.value for w in at.warning)
    captions = " ".join(c.value.replace("\\", "") for c in at.caption)
    assert "Liknande kommuner IFO, Luleå, 2024 (G36579, 2024)" in captions
    for lacking in ("Orosanmälningar: Kolada har inget", "Skuldrådgivning: Kolada har inget",
                    "Hot och våld mot personal: Kolada har inga"):
        assert lacking in captions
    kia = _page("app_pages/personal.py")
    assert any("Kolada har inga nyckeltal för hot och våld" in i.value.replace("\\", "")
               for i in kia.info)
    vald = _page("app_pages/vald.py")
    assert any("SYNTETISKA" in w.value for w in vald.warning)
    assert any("U30750" in c.value.replace("\\", "") for c in vald.caption)


def catalogue_kpis():
    from lagesbild.config import Config
    cfg = Config.from_env()
    return kolada.load_comparison(cfg.jamforelse, cfg.catalogue).kpis


def test_kolada_export_through_the_import_page(engine):
    at = _page("app_pages/data.py")
    at.selectbox(key="matt").set_value("kolada").run()
    at.file_uploader(key="fil_0").upload("kolada_N33818.csv", CSV, "text/csv").run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["Värden"] == "5"
    preview = at.dataframe[0].value
    assert list(preview["Område"]) == ["Luleå", "Region Norrbotten", "Riket", "Piteå",
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


@pytest.fixture
def kolada_at(monkeypatch):
    """The app pointed at a local server answering like Kolada (the cached config is
    rebuilt with the address, and rebuilt again afterwards)."""
    import threading
    from http.server import ThreadingHTTPServer

    from test_kolada import _Kolada

    from webapp import data

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Kolada)
    httpd.requests, httpd.mode, httpd.extra_groups = [], "ok", []
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv("LAGESBILD_KOLADA_URL", f"http://127.0.0.1:{httpd.server_port}/v3")
    monkeypatch.setenv("LAGESBILD_KOLADA_TIDSGRANS", "0.5")
    data.config.clear()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    monkeypatch.undo()
    data.config.clear()


def test_the_fetch_button_fetches_logs_and_shows_the_figures(engine, kolada_at):
    at = _page("app_pages/ekonomi.py", delmatt="Skuldrådgivning")
    at.text_input(key="skuldradgivning_kolada_ar").set_value("2022-2023").run()
    at.button(key="skuldradgivning_kolada_hamta").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    done = next(s.value.replace("\\", "") for s in at.success if "Hämtade" in s.value)
    assert "Hämtade 16 värden från Kolada" in done
    assert "Liknande kommuner: Liknande kommuner IFO, Luleå, 2024" in done
    assert any("/municipality/2580,0025,0000,0163" in urllib.parse.unquote(r)
               for r in kolada_at.requests)
    # The page shows the new figures in the same click (it reruns once).
    assert any("Region Norrbotten" in t.columns for t in shown_tables(at))
    assert not any(i.value == comparison.EMPTY for i in at.info)
    assert len(at.get("vega_lite_chart")) == 2  # the page's own chart and N31816's two years
    with engine.connect() as conn:
        last = conn.execute(sa.select(audit_log).order_by(audit_log.c.id.desc())).first()
    assert last.action == "kolada" and '"via": "sidan"' in last.details


def test_the_fetch_button_without_network_says_so_and_keeps_the_page(engine, kolada_at):
    kolada_at.mode = "slow"
    at = _page("app_pages/beroende.py")
    at.button(key="skadligt_bruk_kolada_hamta").click().run()
    assert not at.exception
    assert any("svarade inte inom 0,5 sekunder" in e.value.replace("\\", "") for e in at.error), \
        [e.value for e in at.error]
    assert any(i.value == comparison.EMPTY for i in at.info)


@pytest.mark.parametrize("role, button", [("lasare", False), ("analytiker", True)])
def test_only_an_analytiker_gets_the_fetch_button(engine, role, button):
    import time

    from test_auth_pages import AUTH, PEOPLE

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets = {"auth": dict(AUTH)}
    at.user = {"is_logged_in": True, "sub": f"sub-{role}", "name": PEOPLE[role],
               "email": f"{role}@kommun.test", "iat": int(time.time())}
    at.run().switch_page("app_pages/barn.py").run()
    assert not at.exception
    assert any(i.value == comparison.EMPTY for i in at.info)  # everyone sees the figures
    assert any(b.key == "orosanmalningar_kolada_hamta" for b in at.button) is button
