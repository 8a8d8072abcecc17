"""The page Data through AppTest: upload, preview, mapping into a profile, confirm, undo."""

import getpass
import os
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, shown_tables
from streamlit.testing.v1 import AppTest

from lagesbild import store
from lagesbild.config import Config


def data_config() -> Config:
    return Config.from_env()

TIMEOUT = 60  # the first run may build the store from the demo files
HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare;Namn"
OCTOBER = (f"{HEADER}\n2026-10-03;972 31;Flicka;4;Våld mot barnet;Polis;Anna\n"
           "2026-10-04;972 31;Pojke;5;Grannbråk;Polis;Bo\n").encode()


def _page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    return at.switch_page("app_pages/data.py").run()


@pytest.fixture
def engine():
    """The app's store; batches a test adds are undone afterwards, so the demo stays intact."""
    engine = store.connect(os.environ["LAGESBILD_DB_URL"])
    AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()  # demo loaded
    before = set(store.read_batches(engine)["id"])
    yield engine
    after = store.read_batches(engine)
    for batch in set(after.loc[after["undone_at"].isna(), "id"]) - before:
        store.undo(engine, int(batch))


def test_the_page_lists_batches_and_data_quality(engine):
    at = _page()
    assert not at.exception and not at.error
    assert at.title[0].value == "Import och datakvalitet"
    shown = shown_tables(at)
    batches, published, quality = shown[0], shown[1], shown[-1]
    # Publicera: this month's delivery per measure, between the batches and the quality table
    assert published.set_index("Mått").loc["Orosanmälningar", "Levererat"] == "ja"
    assert len(batches) == len(store.read_batches(engine))
    assert {"System", "Uttag", "Period", "Vem"} <= set(batches.columns)
    assert "Combine" in batches["System"].tolist()
    assert quality.set_index("Mått").loc["Orosanmälningar", "Saknade månader"] == "inga"


def test_upload_map_confirm_and_undo(engine):
    at = _page()
    at.file_uploader(key="fil_0").upload("oros_okt.csv", OCTOBER, "text/csv").run()
    # An unknown reason: the problem is shown and nothing can be saved yet.
    assert any("1 problem" in e.value for e in at.error)
    assert "”Grannbråk” finns inte i katalogens lista" in shown_tables(at)[0]["Problem"][0]
    assert not [b for b in at.button if b.key == "spara"]
    assert any("Kolumner som inte sparas: Namn" in c.value for c in at.caption)

    # Map it; with no profile chosen the mapping goes into a new profile.
    at.selectbox(key="map_orsak_0").set_value("ovrigt").run()
    at.text_input(key="ny_profil").set_value("Testsystem oros").run()
    at.text_input(key="nytt_system").set_value("Testsystem").run()
    at.button(key="spara_mappning").click().run()
    assert not at.exception and not at.error
    saved = Path(os.environ["LAGESBILD_PROFILER"]) / "testsystem_oros.yaml"
    assert "Grannbråk: ovrigt" in saved.read_text(encoding="utf-8")
    assert at.selectbox(key="profil_orosanmalningar").value == "testsystem_oros"

    # October exists already: the preview says so and saving needs a confirmation.
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rader lästa"] == "2" and metrics["Månader som ersätts"] == "1"
    change = shown_tables(at)[0].iloc[0]
    assert (change["Period"], change["Ändring"], change["Antal anmälningar efter"]) == \
        ("2026-10", "ersätts", "2")
    assert at.button(key="spara").disabled
    before = store.fingerprint(engine)
    oros = data_config().catalogue.measure("orosanmalningar")
    counts_before = store.read_counts(engine, oros)
    at.checkbox(key="bekrafta").check().run()
    assert not [t for t in at.text_input if t.key == "vem"]  # the name comes from the login
    at.button(key="spara").click().run()
    assert not at.exception and not at.error
    assert any("Sparade batch" in s.value for s in at.success)
    assert store.fingerprint(engine) != before
    newest = shown_tables(at)[0].iloc[0]  # the app's cached data were refreshed
    local = f"lokal användare ({getpass.getuser()})"
    assert (newest["Fil"], newest["System"], newest["Vem"]) == \
        ("oros_okt.csv", "Testsystem", local)

    # Undo, with a confirmation step.
    batch = int(newest["Batch"])
    at.selectbox(key="angra_batch").set_value(batch).run()
    at.button(key="angra").click().run()
    assert any("Ta bort batch" in w.value for w in at.warning)
    at.button(key="angra_ja").click().run()
    assert not at.exception and not at.error
    assert any(f"Batch {batch}" in s.value and "är ångrad" in s.value for s in at.success)
    pd.testing.assert_frame_equal(store.read_counts(engine, oros), counts_before)
    # The batch stays as a tombstone, marked in the list and no longer offered for undo.
    tombstone = store.read_batches(engine).set_index("id").loc[batch]
    # Who undid it comes from the login: in local mode, the local account.
    assert tombstone["undone_by"].startswith("lokal användare") and \
        not pd.isna(tombstone["undone_at"])
    listed = shown_tables(at)[0].set_index("Batch").loc[batch]
    assert listed["Status"].startswith("ångrad ") and "av lokal användare" in listed["Status"]
    assert not any(o.startswith(f"{batch}:") for o in at.selectbox(key="angra_batch").options)


def test_a_file_with_personnummer_is_stopped_on_the_page(engine):
    at = _page()
    data = (f"{HEADER};Pnr\n2026-10-03;972 31;Flicka;4;Övrigt;Polis;Anna;8112189876\n"
            ).encode()
    at.file_uploader(key="fil_0").upload("pnr.csv", data, "text/csv").run()
    assert not at.exception
    problems = shown_tables(at)[0]["Problem"].tolist()
    assert any("kolumnen ”Pnr”" in p and "personnummer" in p for p in problems)
    assert not any("8112189876" in p for p in problems)
