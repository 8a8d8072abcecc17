"""The store on a real PostgreSQL server, started for the test run from Debian's postgresql.

The server (the ``postgres_url`` fixture in conftest.py) runs as the ``postgres`` user
(PostgreSQL refuses root) in a temporary directory on a free port, and is stopped afterwards. Without the package the tests are skipped and say why;
under CI (``CI`` set) that is a failure, since ``.ci/run`` installs it.
"""

import subprocess
import sys
import time

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import small_store

from lagesbild import store
from lagesbild.errors import DataError
from lagesbild.store import ingest

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(postgres_url):
    """A store in a fresh schema-less database state: the tables are dropped afterwards."""
    cfg, engine = small_store(postgres_url)
    yield cfg, engine
    _drop(engine)
    engine.dispose()


def _drop(engine):
    """Every table, and the schema version with them, so the next test starts empty."""
    store.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


EVENTS = ("Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare\n"
          "2023-01-05;972 31;Flicka;4;Våld mot barnet;Polis\n"
          "2023-01-20;97231;Flicka;3;Våld mot barnet;Polis\n"
          "2023-02-02;973 33;Pojke;15;Skolfrånvaro;Skola\n").encode()


def test_the_store_is_postgresql(pg):
    _, engine = pg
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"


def test_import_replace_and_undo_on_postgresql(pg):
    cfg, engine = pg
    oros = cfg.catalogue.measure("orosanmalningar")
    first = ingest.import_bytes(engine, cfg, EVENTS, "oros.csv", "orosanmalningar",
                                created_by="test")
    assert store.read_counts(engine, oros)["antal"].sum() == 3
    assert store.read_population(engine)["antal"].sum() == 2 * 6060
    again = ("Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare\n" +
             "2023-02-10;97231;Pojke;15;Skolfrånvaro;Skola\n" * 4).encode()
    plan = ingest.plan(engine, cfg, again, "feb.csv", "orosanmalningar")
    assert [(c.period, c.before, c.after) for c in plan.changes] == [("2023-02", 1, 4)]
    second = ingest.commit(engine, cfg, plan)
    monthly = store.read_counts(engine, oros).groupby("month", observed=True)["antal"].sum()
    assert monthly.tolist() == [2, 4]
    batches = store.read_batches(engine).set_index("id")
    assert batches.loc[first.batch_id, "first"] == "2023-01"
    assert batches.loc[first.batch_id, "created_by"] == "test"
    store.undo(engine, second.batch_id)
    monthly = store.read_counts(engine, oros).groupby("month", observed=True)["antal"].sum()
    assert monthly.tolist() == [2, 1]


def test_a_failed_import_stores_nothing_on_postgresql(pg):
    cfg, engine = pg
    before = store.fingerprint(engine)
    bad = EVENTS.replace(b"97231", b"12")
    with pytest.raises(DataError, match="”12” är inget giltigt postnummer"):
        ingest.import_bytes(engine, cfg, bad, "oros.csv", "orosanmalningar")
    assert store.fingerprint(engine) == before


def test_the_cli_round_trip_on_postgresql(pg, tmp_path):
    from test_import import cli

    cfg, _ = pg
    path = tmp_path / "oros.csv"
    path.write_bytes(EVENTS)
    code, _, err = cli(cfg, "import", str(path), "--matt", "orosanmalningar")
    assert code == 0, err
    code, out, _ = cli(cfg, "summary", "orosanmalningar", "--ar", "2023", "--per", "kon",
                       "--exakt")
    assert code == 0
    assert [line.split(",")[:2] for line in out.splitlines()] == [["kon", "antal"], ["K", "2"],
                                                                  ["M", "1"]]


def test_a_slow_statement_is_cancelled_with_a_swedish_message(pg):
    cfg, _ = pg
    engine = store.connect(cfg.db_url, statement_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(store.StoreError, match=r"svarade inte inom 0,5 sekunder och frågan "
                                               r"avbröts; inget har sparats"):
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_sleep(5)"))
    assert time.monotonic() - started < 4
    engine.dispose()


def test_tombstones_and_a_stale_preview_on_postgresql(pg):
    cfg, engine = pg
    first = ingest.import_bytes(engine, cfg, EVENTS, "oros.csv", "orosanmalningar")
    store.undo(engine, first.batch_id, undone_by="strateg")
    with pytest.raises(DataError, match=f"Batch {first.batch_id} är redan ångrad"):
        store.undo(engine, first.batch_id)
    plans = [ingest.plan(engine, cfg, EVENTS, f"oros_{i}.csv", "orosanmalningar")
             for i in range(2)]
    second = ingest.commit(engine, cfg, plans[0])
    assert second.batch_id > first.batch_id
    with pytest.raises(DataError, match="Databasen har ändrats sedan förhandsgranskningen"):
        ingest.commit(engine, cfg, plans[1])
    tomb = store.read_batches(engine).set_index("id").loc[first.batch_id]
    assert tomb["undone_by"] == "strateg"


def test_a_count_out_of_range_on_postgresql_is_a_swedish_message(pg):
    cfg, engine = pg
    oros = cfg.catalogue.measure("orosanmalningar")
    frame = pd.DataFrame({"month": pd.to_datetime(["2023-03-01"]), "postnummer": ["97231"],
                          "kon": ["K"], "aldersgrupp": ["0-5"], "orsak": ["ovrigt"],
                          "anmalare": ["polis"], "storhet": ["antal"], "antal": [2**40]})
    before = store.fingerprint(engine)
    with pytest.raises(store.StoreError, match="Ett tal är för stort för databasen"):
        store.write_counts(engine, oros, frame, store.BatchInfo("x.csv", "x", 1))
    assert store.fingerprint(engine) == before


def test_an_older_postgresql_store_upgrades_through_the_migrations(pg):
    from alembic import command

    from lagesbild.store import migrations

    cfg, engine = pg
    _drop(engine)
    with engine.begin() as conn:  # the store as main wrote it before migrations
        command.upgrade(migrations._config(conn, cfg.catalogue), "0001")
        conn.exec_driver_sql("DROP TABLE alembic_version")  # older stores had none
        conn.exec_driver_sql(
            "INSERT INTO batches (id, measure, source, sha256, created_at) VALUES "
            "(7, 'orosanmalningar', 'gammal.csv', 'x', now())")
        conn.exec_driver_sql(
            "INSERT INTO counts (batch_id, measure, storhet, month, postnummer, kon, "
            "aldersgrupp, dim1, dim2, antal) VALUES (7, 'orosanmalningar', 'antal', "
            "'2023-03-01', '97231', 'K', '0-5', 'omsorgsbrist', 'polis', 3)")
    again = ingest.connect(cfg)
    back = store.read_counts(again, cfg.catalogue.measure("orosanmalningar"))
    assert back[["orsak", "anmalare", "antal"]].astype(str).values.tolist() == \
        [["omsorgsbrist", "polis", "3"]]
    done = ingest.import_bytes(again, cfg, EVENTS, "oros.csv", "orosanmalningar")
    store.undo(again, done.batch_id, undone_by="strateg")
    assert store.read_batches(again).set_index("id").loc[done.batch_id, "undone_by"] == \
        "strateg"
    again.dispose()


def test_two_processes_on_an_empty_postgresql_store_load_the_demo_once(postgres_url,
                                                                        tmp_path):
    from conftest import ROOT, population_csv
    from test_store import STARTER

    from lagesbild.config import Config

    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "befolkning_scb.csv").write_bytes(population_csv(years=range(2015, 2024)))
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", STARTER, postgres_url, str(demo),
                               str(Config().profiles), str(go)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
        go.touch()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    engine = store.connect(postgres_url)
    try:
        assert len(store.read_batches(engine)) == 1
    finally:
        _drop(engine)
        engine.dispose()


def test_the_audit_log_on_postgresql(pg):
    from datetime import date, datetime, timedelta, timezone

    from lagesbild.store import audit

    _, engine = pg
    now = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)  # 2 March in Sweden
    audit.record(engine, "old", "inloggning", now=now - timedelta(days=40))
    audit.record(engine, "anna", "export", {"format": "png", "urval": "Flickor"},
                 keep_days=30, now=now)
    log = audit.read(engine)
    assert log["who"].tolist() == ["anna"]
    assert log["details"][0] == {"format": "png", "urval": "Flickor"}
    assert len(audit.read(engine, start=date(2026, 3, 2), end=date(2026, 3, 2))) == 1


def test_actions_meetings_and_notes_on_postgresql(pg):
    from dataclasses import replace
    from datetime import date

    from lagesbild.store import process

    _, engine = pg
    action = process.Action("Fältarbete", date(2024, 9, 1),
                            (process.Indicator("orosanmalningar"),), postnummer=("97231",))
    action_id = process.add_action(engine, action, "anna")
    process.update_action(engine, action_id, replace(action, status="avslutad"), "bo")
    assert process.history(engine, action_id)["handelse"].tolist() == ["registrerad",
                                                                        "avslutad"]
    first = process.open_meeting(engine, "avstamning", date(2026, 11, 2), "anna")
    process.add_item(engine, first, "observation", "Oro i centrum", "anna")
    process.add_item(engine, first, "beslut", "Läxhjälp", "anna",
                     action=replace(action, titel="Läxhjälp"))
    process.close_meeting(engine, first, "anna")
    second = process.open_meeting(engine, "avstamning", date(2026, 12, 1), "anna")
    assert process.carried(engine, second)["text"].tolist() == ["Oro i centrum", "Läxhjälp"]
    counts = process.meeting_counts(engine)
    assert counts.loc[counts["id"] == first, "oppna_punkter"].item() == 2
    process.add_note(engine, date(2026, 11, 20), "Ny fritidsgård", "anna",
                     lank="https://example.se", matt="orosanmalningar")
    assert process.notes(engine, matt="orosanmalningar")["rubrik"].tolist() == ["Ny fritidsgård"]
