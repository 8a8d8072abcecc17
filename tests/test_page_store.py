"""The pages when the store misbehaves: a long write elsewhere, a deleted file, a hung
PostgreSQL. Each gives its Swedish message (not the general one), in bounded time."""

import os
import re
import sqlite3
import time

import pytest
from conftest import ROOT, no_internals, small_store, shown_tables
from streamlit.testing.v1 import AppTest

from lagesbild import store
from webapp import data as webdata
from webapp.errors import GENERAL_ERROR

TIMEOUT = 60
HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"


def _fresh_settings():
    """The app caches its settings and engine per process: start over with the current env."""
    webdata.config.clear()
    webdata._engine.clear()


@pytest.fixture
def settings(monkeypatch):
    """Change settings for one test; the app's cached settings are restored afterwards."""
    _fresh_settings()
    yield monkeypatch
    monkeypatch.undo()
    _fresh_settings()


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    return at.switch_page(f"app_pages/{name}.py").run()


def _errors(at) -> list[str]:
    """The error boxes as read on screen: without the Markdown escapes of quoted text."""
    return [re.sub(r"\\(.)", r"\1", e.value).replace("\u2060", "") for e in at.error]


def test_pages_read_while_a_write_holds_the_lock_and_a_waiting_save_says_so(settings):
    settings.setenv("LAGESBILD_SQLITE_VANTETID", "0,5")
    at = _page("data")  # the store (with the demo) exists before the lock is taken
    assert not at.exception and not at.error
    engine = store.connect(os.environ["LAGESBILD_DB_URL"])
    before = store.fingerprint(engine)
    rows = "2026-10-03;972 31;Flicka;4;Övrigt;Polis\n2026-10-04;972 31;Pojke;5;Övrigt;Polis\n"
    at.file_uploader(key="fil_0").upload("okt.csv", f"{HEADER}\n{rows}".encode(),
                                         "text/csv").run()
    assert not at.exception and not at.error
    other = sqlite3.connect(engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's long write
    try:
        started = time.monotonic()
        overview = _page("oversikt")
        assert not overview.exception and not overview.error
        assert time.monotonic() - started < 30
        at.checkbox(key="bekrafta").check().run()
        at.button(key="spara").click().run()
        assert not at.exception
        shown = _errors(at)
        assert any("upptagen av en annan skrivning och blev inte ledig inom 0,5 sekunder"
                   in e for e in shown), shown
        assert GENERAL_ERROR not in shown
        no_internals(*shown)
        assert at.selectbox(key="angra_batch")  # the batch list is still there
        assert at.button(key="spara")  # and the preview, to try again
    finally:
        other.rollback()
        other.close()
    assert store.fingerprint(engine) == before
    engine.dispose()


def test_a_deleted_store_file_is_said_not_served(settings, tmp_path):
    url = f"sqlite:///{tmp_path / 'sidan.sqlite'}"
    small_store(url)[1].dispose()
    settings.setenv("LAGESBILD_DB_URL", url)
    settings.setenv("LAGESBILD_DEMO", "0")
    at = _page("om")
    assert not at.exception and not at.error
    assert "befolkning.csv" in next(t for t in shown_tables(at) if "Fil" in t.columns)[
        "Fil"].tolist()
    (tmp_path / "sidan.sqlite").rename(tmp_path / "undan.sqlite")
    for name in ("om", "data"):
        at = _page(name)
        assert not at.exception
        shown = _errors(at)
        assert len(shown) == 1 and "finns inte längre" in shown[0], shown  # said once
        assert not at.dataframe and not at.table  # no old data served
    assert not (tmp_path / "sidan.sqlite").exists()  # and no new store made in its place


def test_a_replaced_store_file_is_read_afresh(settings, tmp_path):
    url = f"sqlite:///{tmp_path / 'sidan.sqlite'}"
    small_store(url)[1].dispose()
    settings.setenv("LAGESBILD_DB_URL", url)
    settings.setenv("LAGESBILD_DEMO", "0")
    at = _page("om")
    assert not at.error
    copy = (tmp_path / "sidan.sqlite").read_bytes()
    (tmp_path / "sidan.sqlite").unlink()
    (tmp_path / "sidan.sqlite").write_bytes(copy)  # e.g. restored from a backup
    at.run()  # the new file is opened afresh, and the page says so
    assert not at.exception and not at.error
    assert any("har bytts ut" in t.value for t in at.toast)
    assert "befolkning.csv" in next(t for t in shown_tables(at) if "Fil" in t.columns)[
        "Fil"].tolist()


def test_a_hung_postgresql_server_gives_a_swedish_message_on_the_page(settings, hung_server):
    settings.setenv("LAGESBILD_DB_URL", f"postgresql://lagesbild@127.0.0.1:{hung_server}/x")
    settings.setenv("LAGESBILD_PG_ANSLUTNINGSTID", "1")
    started = time.monotonic()
    at = _page("data")
    assert time.monotonic() - started < 45
    assert not at.exception
    shown = _errors(at)
    assert any("går inte att nå" in e for e in shown), shown
    assert GENERAL_ERROR not in shown
    no_internals(*shown)


def test_nothing_is_cached_on_disk_and_every_data_cache_is_bounded():
    """Cached values hold unprotected counts: in memory only, and never without a bound."""
    import ast

    for path in [ROOT / "app.py", *sorted((ROOT / "webapp").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("cache_data", "cache_resource")):
                continue
            keywords = {k.arg for k in node.keywords}
            assert "persist" not in keywords, f"{path.name}:{node.lineno} persists to disk"
            if node.func.attr == "cache_data":
                assert keywords & {"max_entries", "ttl"}, f"{path.name}:{node.lineno} unbounded"
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert "persist" not in config


def test_a_save_after_someone_else_changed_the_store_shows_the_new_preview_first():
    from lagesbild.config import Config
    from lagesbild.store import ingest

    rows = "2026-10-03;972 31;Flicka;4;Övrigt;Polis\n"
    at = _page("data")
    engine = store.connect(os.environ["LAGESBILD_DB_URL"])
    at.file_uploader(key="fil_0").upload("okt.csv", f"{HEADER}\n{rows}".encode(),
                                         "text/csv").run()
    at.checkbox(key="bekrafta").check().run()
    oros = Config.from_env().catalogue.measure("orosanmalningar")
    october = store.month_totals(engine, oros, "antal")
    # Meanwhile another user replaces October.
    other = ingest.import_bytes(engine, Config.from_env(), f"{HEADER}\n{rows * 3}".encode(),
                                "annan.csv", "orosanmalningar", created_by="annan")
    try:
        after_other = store.fingerprint(engine)
        at.button(key="spara").click().run()
        assert not at.exception
        assert any("Databasen har ändrats sedan förhandsgranskningen" in e.value
                   for e in at.error)
        assert store.fingerprint(engine) == after_other  # nothing saved
        change = shown_tables(at)[0].iloc[0]  # the new preview: October is 3 now
        assert (change["Period"], change["Antal anmälningar före"]) == ("2026-10", "3")
        at.button(key="spara").click().run()  # seen now: saved
        assert not at.exception and not at.error
        assert any("Sparade batch" in s.value for s in at.success)
    finally:
        batches = store.read_batches(engine)
        for batch in batches.loc[(batches["id"] >= other.batch_id)
                                 & batches["undone_at"].isna(), "id"]:
            store.undo(engine, int(batch))
    assert store.month_totals(engine, oros, "antal") == october
    engine.dispose()
