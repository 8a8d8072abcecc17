"""The command line's top-level handler: one Swedish line and an exit code for every failure,
the details in the log file, never a traceback, SQL or parameters on the terminal."""

import os
import sqlite3
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from conftest import ROOT, no_internals, population_csv, small_store
from test_import import cli

from lagesbild import cli as cli_module
from lagesbild import store
from lagesbild.cli import data as cli_data  # the batches command, replaced below
from lagesbild.config import Config


@pytest.fixture
def small(tmp_path):
    cfg, engine = small_store(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    yield cfg, engine
    engine.dispose()


def run(env: dict, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m lagesbild ARGV`` in a fresh process with *env* added."""
    return subprocess.run([sys.executable, "-m", "lagesbild", *argv], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=timeout)


def test_an_unexpected_error_is_one_swedish_line_and_the_traceback_goes_to_the_log(
        small, tmp_path, monkeypatch):
    cfg, _ = small
    log = tmp_path / "logg" / "lagesbild.log"
    monkeypatch.setenv("LAGESBILD_LOGG", str(log))

    def boom(args, cfg):
        raise RuntimeError("secret detail SELECT * FROM counts")

    monkeypatch.setattr(cli_data, "cmd_batches", boom)
    code, out, err = cli(cfg, "batches")
    assert code == 3
    assert err.count("\n") == 1
    assert err.startswith("fel: Något gick fel (ett oväntat fel i programmet).")
    assert f"Detaljerna finns i loggen: {log.resolve()}" in err
    assert "secret detail" not in out + err
    no_internals(out, err)
    details = log.read_text(encoding="utf-8")
    assert "Traceback" in details and "RuntimeError: secret detail" in details
    assert log.stat().st_mode & 0o777 == 0o600  # details may quote a file: owner only


def test_ctrl_c_is_a_short_swedish_line_and_exit_130(small, monkeypatch):
    cfg, _ = small

    def interrupted(args, cfg):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_data, "cmd_batches", interrupted)
    code, out, err = cli(cfg, "batches")
    assert code == 130
    assert err.strip() == cli_module.INTERRUPTED
    no_internals(out, err)


def test_a_database_error_outside_the_engine_is_still_swedish(small, monkeypatch):
    cfg, _ = small

    def locked(args, cfg):
        raise sa.exc.OperationalError("UPDATE batches SET undone_at=? WHERE id = ?", (1, 2),
                                      sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(cli_data, "cmd_batches", locked)
    code, out, err = cli(cfg, "batches")
    assert code == 1
    assert "är upptagen av en annan skrivning" in err
    no_internals(out, err)


def test_an_unwritable_log_falls_back_to_the_temporary_folder(small, monkeypatch, tmp_path):
    cfg, _ = small
    blocker = tmp_path / "fil"
    blocker.write_text("")
    monkeypatch.setenv("LAGESBILD_LOGG", str(blocker / "under" / "en" / "fil.log"))
    monkeypatch.setattr(cli_data, "cmd_batches",
                        lambda args, cfg: (_ for _ in ()).throw(ValueError("x")))
    code, _, err = cli(cfg, "batches")
    assert code == 3
    assert "Detaljerna finns i loggen: /" in err and "lagesbild-" in err


def test_a_locked_store_gives_a_swedish_message_in_bounded_time(small):
    cfg, engine = small
    other = sqlite3.connect(engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        done = run({"LAGESBILD_DB_URL": cfg.db_url, "LAGESBILD_SQLITE_VANTETID": "0,5"},
                   "undo", "1", "--ja")
        elapsed = time.monotonic() - started
        # Reading works meanwhile (WAL): the batch list is there.
        listed = run({"LAGESBILD_DB_URL": cfg.db_url}, "batches")
    finally:
        other.rollback()
        other.close()
    assert done.returncode == 1, done.stderr
    assert "är upptagen av en annan skrivning och blev inte ledig inom 0,5 sekunder" in \
        done.stderr
    assert elapsed < 60
    no_internals(done.stdout, done.stderr)
    assert listed.returncode == 0 and "befolkning.csv" in listed.stdout
    assert store.read_batches(engine)["undone_at"].isna().all()


def test_a_read_only_store_gives_a_swedish_message(small):
    cfg, engine = small
    url = f"sqlite:///file:{engine.url.database}?mode=ro&uri=true"
    done = run({"LAGESBILD_DB_URL": url}, "undo", "1", "--ja")
    assert done.returncode == 1
    assert "skrivskyddad" in done.stderr and done.stderr.count("\n") == 1
    no_internals(done.stdout, done.stderr)
    assert store.read_batches(engine)["undone_at"].isna().all()


def test_undoing_an_undone_batch_from_the_command_line(small):
    cfg, engine = small
    code, out, _ = cli(cfg, "undo", "1", "--ja", "--vem", "strateg")
    assert code == 0 and "Tog bort batch 1" in out
    code, out, err = cli(cfg, "undo", "1", "--ja")
    assert code == 1
    assert "Batch 1 är redan ångrad" in err and "av strateg" in err
    code, out, _ = cli(cfg, "batches")
    assert code == 0 and "ångrad" in out and "strateg" in out


def test_batches_and_undo_never_create_a_store_at_a_missing_path(tmp_path):
    path = tmp_path / "borta.sqlite"
    cfg = Config(db_url=f"sqlite:///{path}")
    for argv in (["batches"], ["undo", "3", "--ja"]):
        code, out, err = cli(cfg, *argv)
        assert code == 1
        assert f"Databasen sqlite:///{path} finns inte" in err
        no_internals(out, err)
    assert not path.exists()


def test_a_reading_command_says_when_it_creates_a_demo_store(tmp_path):
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "befolkning_scb.csv").write_bytes(population_csv())
    path = tmp_path / "ny.sqlite"
    env = {"LAGESBILD_DB_URL": f"sqlite:///{path}", "LAGESBILD_DEMO_DIR": str(demo),
           "LAGESBILD_LOGG": str(tmp_path / "log")}
    done = run(env | {"LAGESBILD_DEMO": "0"}, "summary", "orosanmalningar")
    assert done.returncode == 1 and "finns inte" in done.stderr
    assert not path.exists()
    done = run(env | {"LAGESBILD_DEMO": "1"}, "summary", "orosanmalningar")
    assert "fanns inte; en ny har skapats" in done.stderr
    assert "demodata (syntetiska siffror) har lästs in" in done.stderr
    assert done.returncode == 1 and "Det finns inga data för måttet ännu" in done.stderr
    no_internals(done.stdout, done.stderr)


def test_a_hung_postgresql_server_gives_a_swedish_message_in_bounded_time(hung_server):
    started = time.monotonic()
    done = run({"LAGESBILD_DB_URL": f"postgresql://lagesbild@127.0.0.1:{hung_server}/x",
                "LAGESBILD_PG_ANSLUTNINGSTID": "1"}, "batches", timeout=60)
    assert time.monotonic() - started < 30
    assert done.returncode == 1, done.stderr
    assert "går inte att nå" in done.stderr
    no_internals(done.stdout, done.stderr)


def test_timeouts_are_settings(monkeypatch):
    cfg = Config.from_env({"LAGESBILD_SQLITE_VANTETID": "2,5", "LAGESBILD_PG_FRAGETID": "30",
                           "LAGESBILD_PG_ANSLUTNINGSTID": "3"})
    assert cfg.store_options == {"busy_timeout": 2.5, "connect_timeout": 3.0,
                                 "statement_timeout": 30.0}
    with pytest.raises(Exception, match="LAGESBILD_SQLITE_VANTETID ska vara ett antal sekunder"):
        Config.from_env({"LAGESBILD_SQLITE_VANTETID": "länge"})


def test_an_import_confirmed_after_someone_else_imported_is_refused(small, tmp_path,
                                                                     monkeypatch):
    from test_import import GOOD_ROWS, events

    from lagesbild.store import ingest

    cfg, engine = small
    ingest.import_bytes(engine, cfg, events(*GOOD_ROWS), "jan_feb.csv", "orosanmalningar")
    path = tmp_path / "feb.csv"
    path.write_bytes(events("2023-02-10;97231;Pojke;15;Skolfrånvaro;Skola"))

    class Terminal:
        def isatty(self):
            return True

    def meanwhile(prompt):  # while the user reads the question, a colleague imports
        ingest.import_bytes(engine, cfg, events("2023-02-11;97231;Pojke;15;Övrigt;Skola"),
                            "kollega.csv", "orosanmalningar")
        return "ja"

    monkeypatch.setenv("LAGESBILD_DB_URL", cfg.db_url)
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("builtins.input", meanwhile)
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli_module.main(["import", str(path), "--matt", "orosanmalningar"])
    assert code == 1
    assert "Databasen har ändrats sedan förhandsgranskningen" in err.getvalue()
    assert store.read_batches(engine)["source"].tolist()[-1] == "kollega.csv"
    no_internals(out.getvalue(), err.getvalue())


def test_a_bug_that_mentions_a_range_is_not_mistaken_for_a_database_error(small, monkeypatch):
    cfg, _ = small
    monkeypatch.setattr(cli_data, "cmd_batches",
                        lambda args, cfg: [][1])  # IndexError: list index out of range
    code, out, err = cli(cfg, "batches")
    assert code == 3 and "Något gick fel" in err and "för stort" not in err


def test_ctrl_d_at_the_question_is_no(small, tmp_path, monkeypatch):
    cfg, engine = small
    path = tmp_path / "ny.csv"
    path.write_bytes(b"Inkomstdatum;Postnummer;K\xc3\xb6n;\xc3\x85lder;Aktualiseringsorsak;"
                     b"Anm\xc3\xa4lare\n2023-05-10;97231;Pojke;15;Skolfr\xc3\xa5nvaro;Skola\n")
    code, _, _ = cli(cfg, "import", str(path), "--matt", "orosanmalningar")
    assert code == 0
    before = store.fingerprint(engine)

    class Terminal:
        def isatty(self):
            return True

    def eof(prompt):
        raise EOFError

    monkeypatch.setenv("LAGESBILD_DB_URL", cfg.db_url)
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("builtins.input", eof)
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli_module.main(["import", str(path), "--matt", "orosanmalningar"])
    assert code == 1 and "Avbrutet. Inget har sparats." in out.getvalue()
    assert store.fingerprint(engine) == before
    no_internals(out.getvalue(), err.getvalue())


def test_the_log_never_holds_a_personnummer(small, tmp_path, monkeypatch):
    from lagesbild import logs

    cfg, _ = small
    log = tmp_path / "lagesbild.log"
    monkeypatch.setenv("LAGESBILD_LOGG", str(log))

    def quoting(args, cfg):  # an error whose text quotes a cell, in each form
        raise ValueError("cells 811218-9876, 198112189876, 811218 9876, 811218–9876")

    monkeypatch.setattr(cli_data, "cmd_batches", quoting)
    code, _, _ = cli(cfg, "batches")
    assert code == 3
    details = log.read_text(encoding="utf-8")
    assert "ValueError" in details and details.count(logs.REDACTED) >= 4
    for digits in ("9876", "811218"):
        assert digits not in details
    assert logs.redact("batch 12, 2023-03-01, 97231") == "batch 12, 2023-03-01, 97231"
