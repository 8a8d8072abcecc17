"""The store on a real PostgreSQL server, started for the test run from Debian's postgresql.

The server runs as the ``postgres`` user (PostgreSQL refuses root) in a temporary directory on
a free port, and is stopped afterwards. Without the package the tests are skipped and say why;
under CI (``CI`` set) that is a failure, since ``.ci/run`` installs it.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import small_store

from lagesbild import store
from lagesbild.errors import DataError
from lagesbild.store import ingest

pytestmark = pytest.mark.postgres


def _not_available(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed under CI: {reason}")
    pytest.skip(f"PostgreSQL test skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not bins:
        _not_available("Debian's postgresql package is not installed "
                       "(apt-get install postgresql).")
    pg_ctl, initdb = bins[-1], bins[-1].parent / "initdb"
    as_postgres = []
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-pg-"))
    if os.geteuid() == 0:  # PostgreSQL will not run as root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    try:
        subprocess.run([*as_postgres, initdb, "-D", folder / "data", "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True, text=True, timeout=120)
        subprocess.run([*as_postgres, pg_ctl, "-D", folder / "data", "-l", folder / "log",
                        "-w", "-t", "60", "-o",
                        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                        "start"], check=True, capture_output=True, text=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        log = folder / "log"
        details = log.read_text()[-1000:] if log.exists() else getattr(exc, "stderr", "")
        shutil.rmtree(folder, ignore_errors=True)
        _not_available(f"the server could not be started: {exc}\n{details}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, pg_ctl, "-D", folder / "data", "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg(postgres_url):
    """A store in a fresh schema-less database state: the tables are dropped afterwards."""
    cfg, engine = small_store(postgres_url)
    yield cfg, engine
    store.metadata.drop_all(engine)
    engine.dispose()


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
    code, out, _ = cli(cfg, "summary", "orosanmalningar", "--ar", "2023", "--per", "kon")
    assert code == 0
    assert out.splitlines() == ["kon,antal,per_1000", "K,<5,", "M,<5,"]


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
