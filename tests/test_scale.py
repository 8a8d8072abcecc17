"""The fast paths give the same numbers as the plain ones: published data kept in memory and
brought up to date release by release equal a fresh read, the columnar copies equal the
rows, and a command about one year reads only its months."""

import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import population_csv, small_store

from lagesbild import store
from lagesbild.release import publish
from lagesbild.store import releases
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
    keys = [c for c in a.columns if c != "antal"]

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


def _publish(engine, cfg, *months):
    for month in months:
        publish.publish_month(engine, cfg, month, "test")


def test_data_kept_in_memory_follow_publications_like_a_fresh_read(small):
    cfg, engine = small
    live = source.Live()
    check_live(live, engine, cfg)
    first = ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    held = check_live(live, engine, cfg)
    assert held.counts["orosanmalningar"].empty  # imported, not yet published
    _publish(engine, cfg, "2023-03")
    held = check_live(live, engine, cfg)
    assert held.counts["orosanmalningar"].attrs["levererade"] == ("2023-03",)
    ingest.import_bytes(engine, cfg, APRIL, "april.csv", "orosanmalningar")
    _publish(engine, cfg, "2023-04")
    check_live(live, engine, cfg)
    # A newer file replaces March and adds May: March is published again (version 2).
    third = ingest.import_bytes(engine, cfg, MARCH_MAY, "mars_maj.csv", "orosanmalningar")
    _publish(engine, cfg, "2023-03", "2023-05")
    held = check_live(live, engine, cfg)
    march = [r for r in held.releases if r.month == "2023-03"]
    assert [r.version for r in march] == [2]
    assert len(releases.listed(engine)) == 4  # the first March stays readable
    # Undoing the newer file and publishing March again gives a third version.
    store.undo(engine, third.batch_id)
    _publish(engine, cfg, "2023-03")
    held = check_live(live, engine, cfg)
    assert held.release_of(pd.Timestamp("2023-03-01")).version == 3
    store.undo(engine, first.batch_id)
    check_live(live, engine, cfg)
    # New population years.
    ingest.import_bytes(engine, cfg, population_csv(years=(2024,)), "bef.csv", "befolkning")
    held = check_live(live, engine, cfg)
    assert set(held.population["ar"]) == {2022, 2023, 2024}


def test_an_unchanged_store_is_not_read_again(small, monkeypatch):
    cfg, engine = small
    ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    _publish(engine, cfg, "2023-03")
    live = source.Live()
    first = live.at(engine, cfg, store.fingerprint(engine))

    def no_reading(*args, **kwargs):
        raise AssertionError("read again")

    monkeypatch.setattr(releases, "read_rows", no_reading)
    monkeypatch.setattr(store, "read_counts", no_reading)
    assert live.at(engine, cfg, store.fingerprint(engine)) is first


def test_the_fingerprint_changes_with_every_import_undo_and_publication(small):
    cfg, engine = small
    seen = {store.fingerprint(engine)}
    done = ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    seen.add(store.fingerprint(engine))
    _publish(engine, cfg, "2023-03")
    seen.add(store.fingerprint(engine))
    store.undo(engine, done.batch_id)
    seen.add(store.fingerprint(engine))
    assert len(seen) == 4


def test_a_store_without_columnar_copies_reads_the_same_from_its_rows(small):
    cfg, engine = small
    for data, name in ((MARCH, "mars.csv"), (APRIL, "april.csv"), (MARCH_MAY, "mm.csv")):
        ingest.import_bytes(engine, cfg, data, name, "orosanmalningar")
    with_copies = store.read_all(engine, cfg.catalogue)
    population = store.read_population(engine)
    with engine.begin() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(batch_arrow)).scalar() == 4
        conn.execute(batch_arrow.delete())
    from_rows = store.read_all(engine, cfg.catalogue)
    for code in cfg.catalogue.measures:
        same(with_copies[code], from_rows[code])
    same(population, store.read_population(engine))


def test_an_undo_deletes_the_columnar_copy_with_the_rows(small):
    cfg, engine = small
    done = ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    store.undo(engine, done.batch_id)
    with engine.connect() as conn:
        left = conn.execute(sa.select(batch_arrow.c.batch_id)).scalars().all()
    assert done.batch_id not in left


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


def test_a_second_process_draws_oversikt_from_kept_map_without_geopandas(tmp_path):
    """The simplified polygons are kept in the store: a newly started app process draws
    Översikt (cards and map) without reading the layer with GeoPandas."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(ROOT / 'app.py')!r}, default_timeout=120).run()\n"
        "assert not at.exception, [e.value for e in at.exception]\n"
        "assert at.get('deck_gl_json_chart'), 'no map'\n"
        "print('geopandas' in sys.modules)\n")
    env = {**os.environ, "LAGESBILD_DB_URL": f"sqlite:///{tmp_path / 's.sqlite'}",
           "LAGESBILD_DEMO": "1", "HOME": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, text=True,
                           capture_output=True, timeout=300) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[-1].stderr[-2000:]
    assert runs[0].stdout.strip() == "True"  # the first worked the map out
    assert runs[1].stdout.strip() == "False"


def test_a_new_process_reads_the_kept_copy_which_equals_a_fresh_read(small, monkeypatch):
    cfg, engine = small
    ingest.import_bytes(engine, cfg, MARCH, "mars.csv", "orosanmalningar")
    _publish(engine, cfg, "2023-03")
    first = source.read(engine, cfg, store.fingerprint(engine))  # reads, and keeps a copy
    fresh = source._read_releases(engine, cfg, releases.latest(engine))
    real_read_rows = releases.read_rows

    def no_reading(*args, **kwargs):
        raise AssertionError("the releases were read again")

    monkeypatch.setattr(releases, "read_rows", no_reading)
    kept = source.read(engine, cfg, store.fingerprint(engine))  # as a new process would
    for code in cfg.catalogue.measures:
        same(kept.counts[code], fresh[code])
        assert kept.counts[code].attrs == first.counts[code].attrs
    # A new publication is another set of releases: the copy is not used for it.
    monkeypatch.setattr(releases, "read_rows", real_read_rows)
    ingest.import_bytes(engine, cfg, APRIL, "april.csv", "orosanmalningar")
    _publish(engine, cfg, "2023-04")
    later = source.read(engine, cfg, store.fingerprint(engine))
    assert later.counts["orosanmalningar"].attrs["levererade"] == ("2023-03", "2023-04")


def test_published_months_of_a_window_are_those_months_of_the_full_read(small):
    cfg, engine = small
    for data, name in ((MARCH, "mars.csv"), (APRIL, "april.csv"), (MARCH_MAY, "mm.csv")):
        ingest.import_bytes(engine, cfg, data, name, "orosanmalningar")
    _publish(engine, cfg, "2023-03", "2023-04", "2023-05")
    oros = cfg.catalogue.measure("orosanmalningar")
    full = source.counts(engine, cfg, oros)
    some = source.counts(engine, cfg, oros, months=(pd.Timestamp("2023-03-01").date(),
                                                     pd.Timestamp("2023-04-01").date()))
    assert some.attrs["levererade"] == ("2023-03", "2023-04")
    same(some, full[full["month"] <= "2023-04-01"].reset_index(drop=True))


def test_a_batch_keeps_its_first_and_last_month_and_an_undo_clears_them(small):
    cfg, engine = small
    done = ingest.import_bytes(engine, cfg, MARCH_MAY, "mars_maj.csv", "orosanmalningar")
    row = store.read_batches(engine).set_index("id").loc[done.batch_id]
    assert (row["first"], row["last"]) == ("2023-03", "2023-05")
    population = store.read_batches(engine).query("measure == 'befolkning'").iloc[0]
    assert (population["first"], population["last"]) == ("2022", "2023")
    store.undo(engine, done.batch_id)
    row = store.read_batches(engine).set_index("id").loc[done.batch_id]
    assert pd.isna(row["first"]) and pd.isna(row["last"])
