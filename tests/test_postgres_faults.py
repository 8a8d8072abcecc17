"""The database misbehaving under the running app (issue 23), on a real PostgreSQL server:
stopped mid-session (SIGSTOP), restarted, dropped and created again. The store, and the
page of a running app, say in Swedish within the timeouts that the database does not answer,
nothing half-written is left, and both recover by themselves when the database is back; a
recreated (empty) database is noticed, not served from memory."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import ROOT, free_port, population_csv, postgres_database, streamlit_app

from lagesbild import store
from lagesbild.config import Config
from lagesbild.store import StoreError, StoreGone, ingest

sys.path.insert(0, str(ROOT / "benchmarks"))
import wsclient  # noqa: E402

pytestmark = pytest.mark.postgres

STATEMENT, CONNECT = 6.0, 2.0  # seconds: LAGESBILD_PG_FRAGETID, LAGESBILD_PG_ANSLUTNINGSTID
# A stopped server: the pooled connection's check and one fresh connection attempt take the
# connect timeout each, so it is said within the statement timeout (and a second of slack
# for a loaded machine).
SAYS_WITHIN = STATEMENT + 1
EVENTS = ("Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare\n" +
          "2023-03-05;972 31;Flicka;4;Våld mot barnet;Polis\n" * 7).encode()


class Server:
    """The test server's processes and data directory, found through SQL while it runs."""

    def __init__(self, admin_url: str):
        admin = sa.create_engine(admin_url)
        with admin.connect() as conn:
            self.data = Path(conn.execute(sa.text("SHOW data_directory")).scalar_one())
        admin.dispose()

    def pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    @contextmanager
    def stopped(self):
        """Every process of the server stopped (SIGSTOP) until the block ends."""
        pids = self.pids()
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass

    def restart(self) -> None:
        pg_ctl = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # -l: the server's output goes to its log, not to a pipe this test would wait on.
        subprocess.run([*as_postgres, pg_ctl, "-D", self.data, "-l", self.data.parent / "log",
                        "-m", "fast", "-w", "-t", "60", "restart"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def _recreate(admin_url: str, name: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def _config(url: str) -> Config:
    return Config(db_url=url, demo=False, statement_timeout=STATEMENT,
                  connect_timeout=CONNECT)


def _filled(url: str):
    cfg = _config(url)
    engine = ingest.connect(cfg)
    ingest.import_bytes(engine, cfg, population_csv(), "befolkning.csv", "befolkning")
    ingest.import_bytes(engine, cfg, EVENTS, "oros.csv", "orosanmalningar")
    return cfg, engine


def _rows(engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                     for t in ("batches", "counts", "population", "batch_arrow"))


def test_the_store_says_a_stopped_server_in_swedish_and_recovers(postgres_url):
    server = Server(postgres_url)
    with postgres_database(postgres_url, "fel_lagret") as url:
        cfg, engine = _filled(url)
        before, rows = store.fingerprint(engine), _rows(engine)
        march = EVENTS.replace(b"2023-03", b"2023-04")
        with server.stopped():
            started = time.monotonic()
            with pytest.raises(StoreError, match="svarar inte") as info:
                store.fingerprint(engine)
            took = time.monotonic() - started
            print(f"stopped server: store said so after {took:.1f} s")
            assert took < SAYS_WITHIN, took
            assert "Traceback" not in info.value.message and "psycopg" not in info.value.message
            started = time.monotonic()
            with pytest.raises(StoreError, match="svarar inte"):
                ingest.import_bytes(engine, cfg, march, "april.csv", "orosanmalningar")
            assert time.monotonic() - started < 3 * SAYS_WITHIN
        # Back by itself: the same store, nothing half-written.
        assert store.fingerprint(engine) == before and _rows(engine) == rows

        # A write cut off mid-transaction (the server stops while it holds the lock).
        plan = ingest.plan(engine, cfg, march, "april.csv", "orosanmalningar")
        with server.stopped():
            with pytest.raises(StoreError, match="svarar inte"):
                ingest.commit(engine, cfg, plan)
        assert store.fingerprint(engine) == before and _rows(engine) == rows

        server.restart()
        assert store.fingerprint(engine) == before  # the pool replaced its dead connections
        ingest.commit(engine, cfg, plan)
        assert _rows(engine)[0] == rows[0] + 1

        _recreate(postgres_url, "fel_lagret")
        with pytest.raises(StoreGone, match="har tagits bort och skapats på nytt"):
            store.check(engine)
        engine.dispose()


def test_the_running_app_says_it_and_notices_a_recreated_database(postgres_url, tmp_path):
    server = Server(postgres_url)
    with postgres_database(postgres_url, "fel_appen") as url:
        _, engine = _filled(url)
        engine.dispose()
        env = {**os.environ, "HOME": str(tmp_path), "LAGESBILD_DB_URL": url,
               "LAGESBILD_DEMO": "0", "LAGESBILD_PG_FRAGETID": str(STATEMENT),
               "LAGESBILD_PG_ANSLUTNINGSTID": str(CONNECT),
               "LAGESBILD_LOGG": str(tmp_path / "app.log")}
        port = free_port()
        with streamlit_app(port, env, tmp_path / "server.log", "--server.address",
                           "127.0.0.1", "--server.headless", "true") as base:
            first = wsclient.first_visit(base, timeout=180)
            assert first.errors == [], first.errors
            assert "Orosanmälningar" in first.texts

            with server.stopped():
                started = time.monotonic()
                down = wsclient.first_visit(base, timeout=120)
                took = time.monotonic() - started
            said = " ".join(down.errors)
            print(f"stopped server: the page said so after {took:.1f} s: {down.errors}")
            assert "svarar inte" in said and "Databasen" in said, down.errors
            assert "Något gick fel" not in said and "exception" not in said
            assert took < SAYS_WITHIN + 2, took  # + the visit's own page and health check

            again = wsclient.first_visit(base, timeout=120)  # recovered by itself
            assert again.errors == [] and again.texts == first.texts

            server.restart()
            restarted = wsclient.first_visit(base, timeout=120)
            assert restarted.errors == [] and restarted.texts == first.texts

            _recreate(postgres_url, "fel_appen")
            fresh = wsclient.first_visit(base, timeout=180)
            assert not [e for e in fresh.errors if "exception" in e], fresh.errors
            assert fresh.texts != first.texts  # not the old store's numbers from memory
            check = sa.create_engine(url)
            with check.connect() as conn:  # the app made the new database a store, empty
                assert conn.execute(sa.text("SELECT count(*) FROM batches")).scalar_one() == 0
            check.dispose()
