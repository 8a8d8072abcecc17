"""The fast paths give the same numbers as the plain ones: data kept in memory and brought up
to date batch by batch equal a fresh read, the columnar copies equal the rows, record keys
are unchanged, and a command about one year reads only its months."""

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import population_csv, small_store

from lagesbild import store
from lagesbild.release import cellkey
from lagesbild.store import ingest
from lagesbild.store.schema import batch_arrow
from lagesbild.views import source

HEADER = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"


def events(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


MARCH = events("2023-03-01;97231;Flicka;4;Övrigt;Polis", "2023-03-09;97333;Pojke;9;Övrigt;Polis",
               "2023-03-19;97345;Pojke;15;Övrigt;Skola")
APRIL = events("2023-04-01;97231;Flicka;4;Övrigt;Polis", "2023-04-02;97231;Flicka;4;Övrigt;Polis")
# A corrected March (another postnummer) and a new May in one file.
MARCH_MAY = events("2023-03-01;97345;Flicka;7;Övrigt;Polis", "2023-05-03;97333;Pojke;12;Övrigt;Polis")


@pytest.fixture
def small(tmp_path):
    cfg, engine = small_store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield cfg, engine
    engine.dispose()


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """The same rows (in any order), the same values and the same dtypes."""
    assert list(a.columns) == list(b.columns)
    assert dict(a.dtypes.astype(str)) == dict(b.dtypes.astype(str))
    keys = [c for c in a.columns if c not in ("antal", cellkey.KEY)]

    def norm(frame):
        text = frame.astype({c: "string" for c in keys})
        return text.sort_values(keys).reset_index(drop=True)

    pd.testing.assert_frame_equal(norm(a), norm(b), check_exact=False, rtol=1e-12,
                                  check_categorical=False)


def check_live(live: source.Live, engine, cfg) -> source.Snapshot:
    """The held snapshot brought up to date equals a fresh read of the store."""
    version = store.fingerprint(engine)
    held = live.at(engine, cfg, version)
    fresh = source.read(engine, cfg, version)
    assert held.version == version
    for code in cfg.catalogue.measures:
        same(held.counts[code], fresh.counts[code])
    same(held.population, fresh.population)
    columns = ["id", "measure", "source", "undone_at", "first", "last"]
    pd.testing.assert_frame_equal(held.batches[columns].astype(str),
                                  fresh.batches[columns].astype(str))
    return held


def test_data_kept_in_memory_follow_imports_and_undos_like_a_fresh_read(small):
    cfg, engine = small
    live = source.Live()
    check_live(live, engine, cfg)
    first = ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    held = check_live(live, engine, cfg)
    assert held.counts["orosanmalningar"]["antal"].sum() == 3
    ingest.import_bytes(engine, cfg, APRIL, "april.csv", "orosanmalningar")
    check_live(live, engine, cfg)
    # A newer file replaces March and adds May: March's old rows must go.
    third = ingest.import_bytes(engine, cfg, MARCH_MAY, "mars_maj.csv", "orosanmalningar")
    held = check_live(live, engine, cfg)
    march = held.counts["orosanmalningar"]
    assert march.loc[march["month"] == "2023-03-01", "antal"].sum() == 1
    assert set(march["postnummer"].dropna()) == {"97231", "97333", "97345"}
    # Undoing the newer file brings the first March back.
    store.undo(engine, third.batch_id)
    held = check_live(live, engine, cfg)
    oros = held.counts["orosanmalningar"]
    assert oros.loc[oros["month"] == "2023-03-01", "antal"].sum() == 3
    store.undo(engine, first.batch_id)
    check_live(live, engine, cfg)
    # New population years.
    ingest.import_bytes(engine, cfg, population_csv(years=(2024,)), "bef.csv", "befolkning")
    held = check_live(live, engine, cfg)
    assert set(held.population["ar"]) == {2022, 2023, 2024}


def test_an_unchanged_store_is_not_read_again(small, monkeypatch):
    cfg, engine = small
    ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    live = source.Live()
    first = live.at(engine, cfg, store.fingerprint(engine))

    def no_reading(*args, **kwargs):
        raise AssertionError("read again")

    monkeypatch.setattr(store, "read_all", no_reading)
    monkeypatch.setattr(store, "read_counts", no_reading)
    assert live.at(engine, cfg, store.fingerprint(engine)) is first


def test_the_fingerprint_changes_with_every_import_and_undo(small):
    cfg, engine = small
    seen = {store.fingerprint(engine)}
    done = ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    seen.add(store.fingerprint(engine))
    store.undo(engine, done.batch_id)
    seen.add(store.fingerprint(engine))
    assert len(seen) == 3


def test_a_store_without_columnar_copies_reads_the_same_from_its_rows(small):
    cfg, engine = small
    for data, name in ((MARCH, "mars.csv"), (APRIL, "april.csv"), (MARCH_MAY, "mm.csv")):
        ingest.import_bytes(engine, cfg, data, name, "orosanmalningar")
    version = store.fingerprint(engine)
    with_copies = source.read(engine, cfg, version)
    with engine.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(batch_arrow)).scalar() == 4
        conn.execute(batch_arrow.delete())
    from_rows = source.read(engine, cfg, version)
    for code in cfg.catalogue.measures:
        same(with_copies.counts[code], from_rows.counts[code])
    same(with_copies.population, from_rows.population)


def test_an_undo_deletes_the_columnar_copy_with_the_rows(small):
    cfg, engine = small
    done = ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    store.undo(engine, done.batch_id)
    with engine.connect() as conn:
        left = conn.execute(sa.select(batch_arrow.c.batch_id)).scalars().all()
    assert done.batch_id not in left


def test_record_keys_are_the_keyed_hash_of_each_row_as_text():
    frame = pd.DataFrame({
        "month": pd.to_datetime(["2023-01-01", "2023-02-01", "2023-02-01", "2023-01-01"]),
        "postnummer": pd.Categorical(["97231", None, "97333", "97231"]),
        "kon": ["K", "M", None, "K"],
        "alder": [4.0, np.nan, 7.0, 4.0],
        "antal": [1, 2, 3, 4],
    })
    expected = pd.util.hash_pandas_object(
        frame.drop(columns="antal").astype("string"), index=False,
        hash_key=cellkey._hash_key("hemligt")).to_numpy(dtype=np.uint64)
    keys = cellkey.record_keys(frame, "hemligt")
    assert np.array_equal(keys, (expected >> np.uint64(11)).astype(np.float64) / 2 ** 53)
    assert keys[0] == keys[3] and len(set(keys[:3])) == 3


def test_reading_some_months_gives_those_months_of_the_full_read(small):
    cfg, engine = small
    for data, name in ((MARCH, "mars.csv"), (APRIL, "april.csv"), (MARCH_MAY, "mm.csv")):
        ingest.import_bytes(engine, cfg, data, name, "orosanmalningar")
    oros = cfg.catalogue.measure("orosanmalningar")
    full = store.read_counts(engine, oros)
    some = store.read_counts(engine, oros, months=(pd.Timestamp("2023-03-01").date(),
                                                    pd.Timestamp("2023-04-01").date()))
    same(some, full[full["month"] <= "2023-04-01"].reset_index(drop=True))
    assert some["antal"].sum() == 3  # the corrected March (1) and April (2)


def test_the_newest_schema_version_read_without_alembic_is_alembics_own():
    from alembic.script import ScriptDirectory

    from lagesbild.store import migrations

    assert migrations.head() == \
        ScriptDirectory.from_config(migrations._config()).get_current_head()


def test_opening_an_up_to_date_store_does_not_import_alembic(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    code = ("import sys; from lagesbild import store; e = store.connect(sys.argv[1]); "
            "e.dispose(); e = store.connect(sys.argv[1]); "
            "print('alembic' in sys.modules)")
    # The first open creates the store (Alembic runs); a second process only opens it.
    subprocess.run([sys.executable, "-c", code, url], cwd=ROOT, check=True)
    second = subprocess.run([sys.executable, "-c", code.replace(
        "e = store.connect(sys.argv[1]); e.dispose(); ", ""), url], cwd=ROOT, check=True,
        capture_output=True, text=True)
    assert second.stdout.strip() == "False"


def _saved() -> None:
    import threading

    for thread in threading.enumerate():
        if thread.name == "lagesbild-snapshot":
            thread.join(30)


def test_a_new_process_starts_from_the_snapshot_and_it_equals_a_fresh_read(small, monkeypatch):
    from dataclasses import replace

    cfg, engine = small
    for data, name in ((MARCH, "mars.csv"), (APRIL, "april.csv")):
        ingest.import_bytes(engine, cfg, data, name, "orosanmalningar")
    version = store.fingerprint(engine)
    source.Live().at(engine, cfg, version)  # the first process works it out and saves it
    _saved()
    key = source.snapshot_key(cfg, version)
    kept = store.load_snapshot(engine, key)
    assert kept is not None and "befolkning" in kept

    def no_reading(*args, **kwargs):
        raise AssertionError("worked out again")

    with monkeypatch.context() as m:
        m.setattr(store, "read_all", no_reading)
        started = source.Live().at(engine, cfg, version)  # the next process reads it
    fresh = source.read(engine, cfg, version)
    for code in cfg.catalogue.measures:
        same(started.counts[code], fresh.counts[code])
    same(started.population, fresh.population)
    # Another seed, another store version: another key, so the snapshot is not used.
    assert source.snapshot_key(replace(cfg, cell_key_seed="annat"), version) != key
    ingest.import_bytes(engine, cfg, MARCH_MAY, "mm.csv", "orosanmalningar")
    assert source.snapshot_key(cfg, store.fingerprint(engine)) != key
    # Only one snapshot is kept.
    source.Live().at(engine, cfg, store.fingerprint(engine))
    _saved()
    with engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT DISTINCT key FROM snapshots")).scalars().all()
    assert keys == [source.snapshot_key(cfg, store.fingerprint(engine))]
