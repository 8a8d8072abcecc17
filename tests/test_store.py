"""The store under stress: ids never reused, stale previews refused inside the transaction,
demo loaded once by two processes, WAL and busy timeouts, a read-only or full store, an
older store's schema upgraded in place, and a deleted or replaced file noticed."""

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import ROOT, population_csv, small_store

from lagesbild import store
from lagesbild.config import Config
from lagesbild.errors import DataError, UnknownError
from lagesbild.store import ingest

HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"


def events(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


MARCH = events("2023-03-01;97231;Flicka;4;Övrigt;Polis", "2023-03-09;97333;Pojke;9;Övrigt;Polis")
APRIL = events("2023-04-01;97231;Flicka;4;Övrigt;Polis")


@pytest.fixture
def small(tmp_path):
    cfg, engine = small_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield cfg, engine
    engine.dispose()


def state(engine, cfg):
    """Everything a user could see of the store."""
    oros = cfg.catalogue.measure("orosanmalningar")
    return (store.fingerprint(engine), store.read_counts(engine, oros).to_dict("list"),
            store.read_population(engine)["antal"].sum(),
            store.read_batches(engine).to_dict("list"))


# --- batch ids and tombstones ----------------------------------------------------------------

def test_an_undone_batch_is_a_tombstone_and_its_id_is_never_reused(small):
    cfg, engine = small
    oros = cfg.catalogue.measure("orosanmalningar")
    first = ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    undone = store.undo(engine, first.batch_id, undone_by="strateg")
    assert undone["source"] == "mars.csv"
    assert store.read_counts(engine, oros).empty
    tomb = store.read_batches(engine).set_index("id").loc[first.batch_id]
    assert tomb["undone_by"] == "strateg" and not pd.isna(tomb["undone_at"])
    assert pd.isna(tomb["first"])  # it holds no rows any more
    # The newest batch was undone; the next import still gets a new, higher id.
    second = ingest.import_bytes(engine, cfg, APRIL, "april.csv", "orosanmalningar")
    assert second.batch_id > first.batch_id
    # An old note "undo <first>" cannot remove the April file.
    with pytest.raises(DataError, match=rf"Batch {first.batch_id} är redan ångrad \(.* av "
                                        r"strateg\)\. Inget har ändrats\."):
        store.undo(engine, first.batch_id)
    assert store.read_counts(engine, oros)["antal"].sum() == 1
    with pytest.raises(UnknownError, match="Det finns ingen batch 999"):
        store.undo(engine, 999)


def test_sqlite_ids_are_monotonic_even_when_the_newest_row_is_deleted(small):
    _, engine = small
    with engine.connect() as conn:
        sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name='batches'")).scalar()
    assert "AUTOINCREMENT" in sql


def test_the_batch_list_marks_undone_batches(small):
    from lagesbild.present import tables

    cfg, engine = small
    done = ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    store.undo(engine, done.batch_id, undone_by="strateg")
    table = tables.batches(store.read_batches(engine), cfg.catalogue).set_index("Batch")
    assert table.loc[done.batch_id, "Status"].startswith("ångrad 20")
    assert table.loc[done.batch_id, "Status"].endswith(" av strateg")
    assert table.loc[done.batch_id, "Period"] == "–"
    assert (table.drop(index=done.batch_id)["Status"] == "aktiv").all()


# --- an older store ----------------------------------------------------------------------------

OLD_SCHEMA = [
    """CREATE TABLE batches (id INTEGER NOT NULL, measure VARCHAR(64) NOT NULL,
       source VARCHAR(255) NOT NULL, sha256 VARCHAR(64) NOT NULL, source_system VARCHAR(64),
       extracted DATE, rows_read INTEGER, rows_stored INTEGER, created_by VARCHAR(128),
       created_at DATETIME NOT NULL, PRIMARY KEY (id))""",
    """CREATE TABLE counts (id INTEGER NOT NULL, batch_id INTEGER NOT NULL,
       measure VARCHAR(64) NOT NULL, storhet VARCHAR(64) NOT NULL, month DATE NOT NULL,
       postnummer VARCHAR(5), kon VARCHAR(1), aldersgrupp VARCHAR(16), dim1 VARCHAR(64),
       dim2 VARCHAR(64), dim3 VARCHAR(64), antal INTEGER NOT NULL, PRIMARY KEY (id),
       FOREIGN KEY(batch_id) REFERENCES batches (id))""",
    "CREATE INDEX ix_counts_measure_month ON counts (measure, month, batch_id)",
    """CREATE TABLE population (id INTEGER NOT NULL, batch_id INTEGER NOT NULL,
       ar INTEGER NOT NULL, postnummer VARCHAR(5) NOT NULL, kon VARCHAR(1) NOT NULL,
       alder INTEGER NOT NULL, antal INTEGER NOT NULL, PRIMARY KEY (id),
       FOREIGN KEY(batch_id) REFERENCES batches (id))""",
    """INSERT INTO batches VALUES (7, 'orosanmalningar', 'gammal.csv', 'x', 'Combine',
       NULL, 3, 1, 'strateg', '2025-01-02 10:00:00.000000')""",
    """INSERT INTO counts VALUES (1, 7, 'orosanmalningar', 'antal', '2023-03-01', '97231',
       'K', '0-5', 'ovrigt', 'polis', NULL, 3)""",
]


def test_a_store_made_by_the_old_schema_opens_and_works(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:
        for statement in OLD_SCHEMA:
            conn.execute(statement)
    cfg = Config(db_url=f"sqlite:///{path}", demo=False)
    engine = ingest.connect(cfg)  # with the catalogue: the migration names dim1-dim3 with it
    assert not store.is_new(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("batches")}
    assert {"undone_at", "undone_by"} <= columns
    oros = cfg.catalogue.measure("orosanmalningar")
    back = store.read_counts(engine, oros)
    assert back["antal"].tolist() == [3]
    assert (back["orsak"].iloc[0], back["anmalare"].iloc[0]) == ("ovrigt", "polis")
    assert store.read_batches(engine).loc[0, "source"] == "gammal.csv"
    # Migration 0012 wrote down the months each batch holds, from its rows.
    assert tuple(store.read_batches(engine).loc[0, ["first", "last"]]) == ("2023-03", "2023-03")
    done = ingest.import_bytes(engine, cfg, APRIL, "april.csv", "orosanmalningar")
    assert done.batch_id == 8
    store.undo(engine, 7, undone_by="strateg")
    assert store.read_counts(engine, oros)["antal"].tolist() == [1]
    engine.dispose()
    again = ingest.connect(cfg)  # a second open finds nothing left to upgrade
    assert store.read_batches(again).set_index("id").loc[7, "undone_by"] == "strateg"
    again.dispose()


# --- the preview re-checked inside the write transaction ---------------------------------------

def test_a_stale_preview_is_refused_and_nothing_is_written(small):
    cfg, engine = small
    mine = ingest.plan(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    theirs = ingest.plan(engine, cfg, MARCH, "mars_igen.csv", "orosanmalningar")
    ingest.commit(engine, cfg, theirs)
    before = state(engine, cfg)
    with pytest.raises(DataError, match="Databasen har ändrats sedan förhandsgranskningen.*"
                                        "Gör förhandsgranskningen igen.*Inget har sparats"):
        ingest.commit(engine, cfg, mine)
    assert state(engine, cfg) == before


def test_two_imports_at_once_with_the_same_preview_store_one(small):
    cfg, engine = small
    plans = [ingest.plan(engine, cfg, MARCH, f"mars_{i}.csv", "orosanmalningar")
             for i in range(2)]
    start = threading.Barrier(2)
    results = []

    def run(plan):
        start.wait()
        try:
            results.append(ingest.commit(engine, cfg, plan).batch_id)
        except DataError as err:
            results.append(err.message)

    threads = [threading.Thread(target=run, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stored = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, str)]
    assert len(stored) == 1 and len(refused) == 1, results
    assert "förhandsgranskningen" in refused[0]
    oros = cfg.catalogue.measure("orosanmalningar")
    assert store.read_counts(engine, oros)["antal"].sum() == 2


# --- demo once -----------------------------------------------------------------------------------

STARTER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from lagesbild.config import Config
    from lagesbild.store import ingest

    cfg = Config(db_url=sys.argv[1], demo=True, demo_dir=Path(sys.argv[2]),
                 profiles=Path(sys.argv[3]))
    go = Path(sys.argv[4])
    print("READY", flush=True)
    while not go.exists():
        time.sleep(0.01)
    ingest.open_store(cfg)
    print("DONE", flush=True)
""")


def test_two_processes_on_an_empty_store_load_the_demo_once(tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "befolkning_scb.csv").write_bytes(population_csv(years=range(2010, 2024)))
    url = f"sqlite:///{tmp_path / 'tom.sqlite'}"
    go = tmp_path / "go"
    profiles = Config().profiles
    procs = [subprocess.Popen([sys.executable, "-c", STARTER, url, str(demo), str(profiles),
                               str(go)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "READY", proc.stderr.read()
        go.touch()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "DONE" in out
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    engine = store.connect(url)
    batches = store.read_batches(engine)
    assert len(batches) == 1 and batches.loc[0, "created_by"] == "demo"
    engine.dispose()


# --- SQLite: WAL and the busy timeout -------------------------------------------------------

def test_every_sqlite_connection_is_in_wal_mode_with_the_busy_timeout(tmp_path):
    engine = store.connect(f"sqlite:///{tmp_path / 'wal.sqlite'}", busy_timeout=12.5)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 12_500
    engine.dispose()


@pytest.fixture
def locked(small):
    """The small store with another connection holding the write lock (BEGIN IMMEDIATE)."""
    cfg, engine = small
    path = engine.url.database
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO population (batch_id, ar, postnummer, kon, alder, antal) "
                  "VALUES (1, 1999, '97231', 'K', 1, 1)")  # uncommitted: nobody sees it
    yield cfg, engine
    other.rollback()
    other.close()


def test_reads_work_while_another_process_writes(locked):
    cfg, _ = locked
    engine = store.connect(cfg.db_url, busy_timeout=0.3)
    oros = cfg.catalogue.measure("orosanmalningar")
    started = time.monotonic()
    assert store.read_counts(engine, oros).empty
    assert store.read_population(engine)["antal"].sum() == 2 * 6060
    assert len(store.read_batches(engine)) == 1
    assert time.monotonic() - started < 5
    engine.dispose()


def test_a_write_that_waits_too_long_gives_a_swedish_message(locked):
    cfg, _ = locked
    engine = store.connect(cfg.db_url, busy_timeout=0.3)
    before = state(engine, cfg)
    plan = ingest.plan(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    assert plan.ok
    with pytest.raises(store.StoreError, match=r"upptagen av en annan skrivning och blev "
                                               r"inte ledig inom 0,3 sekunder\. Försök igen"):
        ingest.commit(engine, cfg, plan)
    with pytest.raises(store.StoreError, match="upptagen"):
        store.undo(engine, 1)
    assert state(engine, cfg) == before
    engine.dispose()


# --- read-only and full -------------------------------------------------------------------------

def test_a_read_only_store_reads_and_refuses_writes_in_swedish(small):
    cfg, engine = small
    before = state(engine, cfg)
    ro = store.connect(f"sqlite:///file:{engine.url.database}?mode=ro&uri=true")
    assert store.read_population(ro)["antal"].sum() == 2 * 6060
    with pytest.raises(store.StoreError, match="skrivskyddad: inget kan sparas eller ångras"):
        store.undo(ro, 1)
    with pytest.raises(store.StoreError, match="skrivskyddad"):
        ingest.import_bytes(ro, cfg, MARCH, "mars.csv", "orosanmalningar")
    assert state(engine, cfg) == before
    ro.dispose()


def test_a_full_disk_gives_a_swedish_message_and_stores_nothing(small):
    cfg, engine = small
    before = state(engine, cfg)
    full = store.connect(cfg.db_url)

    @sa.event.listens_for(full, "connect")
    def no_more_pages(dbapi_conn, record):  # as if the disk were full: no page may be added
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    full.dispose()
    oros = cfg.catalogue.measure("orosanmalningar")
    n = 50_000
    frame = pd.DataFrame({"month": pd.to_datetime(["2023-03-01"] * n), "postnummer": "97231",
                          "kon": "K", "aldersgrupp": "0-5", "orsak": "ovrigt",
                          "anmalare": [f"a{i}" for i in range(n)], "storhet": "antal",
                          "antal": 1})
    with pytest.raises(store.StoreError, match="är full: inget har sparats"):
        store.write_counts(full, oros, frame, store.BatchInfo("stor.csv", "x", n))
    assert state(engine, cfg) == before
    full.dispose()


def test_a_count_too_large_for_the_database_is_a_swedish_message(small):
    cfg, engine = small
    oros = cfg.catalogue.measure("orosanmalningar")
    frame = pd.DataFrame({"month": pd.to_datetime(["2023-03-01"]), "postnummer": ["97231"],
                          "kon": ["K"], "aldersgrupp": ["0-5"], "orsak": ["ovrigt"],
                          "anmalare": ["polis"], "storhet": ["antal"], "antal": [2**63 - 1]})
    frame["antal"] = frame["antal"].astype(object) * 4  # past int64: what no driver can bind
    before = state(engine, cfg)
    with pytest.raises(store.StoreError, match="Ett tal är för stort för databasen"):
        store.write_counts(engine, oros, frame, store.BatchInfo("x.csv", "x", 1))
    assert state(engine, cfg) == before


# --- a deleted or replaced file -----------------------------------------------------------------

def test_a_deleted_or_replaced_store_file_is_noticed(small, tmp_path):
    cfg, engine = small
    store.check(engine)  # the file opened is there
    path = tmp_path / "store.sqlite"
    moved = tmp_path / "flyttad.sqlite"
    os.rename(path, moved)
    with pytest.raises(store.StoreGone, match="finns inte längre") as gone:
        store.check(engine)
    assert not gone.value.replaced
    path.write_bytes(moved.read_bytes())  # a copy: another file at the same path
    with pytest.raises(store.StoreGone, match="har bytts ut sedan den öppnades") as gone:
        store.check(engine)
    assert gone.value.replaced


def test_a_missing_store_is_not_created_when_one_was_expected(tmp_path):
    path = tmp_path / "borta.sqlite"
    with pytest.raises(Exception, match=r"finns inte\. Kontrollera LAGESBILD_DB_URL"):
        store.connect(f"sqlite:///{path}", create=False)
    assert not path.exists()
