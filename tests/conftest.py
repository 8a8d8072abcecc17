"""Shared test set-up: tests never touch the developer's own database."""

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# openpyxl reads this once, on import: the XML writer it used before lxml came with
# python-pptx, so the demo files stay byte-identical (see lagesbild/__init__.py).
os.environ.setdefault("OPENPYXL_LXML", "False")
# Set before any test imports webapp/app, so the cached Config sees it.
_TMP = Path(tempfile.mkdtemp(prefix="lagesbild-test-"))
os.environ["LAGESBILD_DB_URL"] = f"sqlite:///{_TMP / 'test.sqlite'}"
os.environ["LAGESBILD_DEMO"] = "1"
os.environ["LAGESBILD_LOGG"] = str(_TMP / "lagesbild.log")
# A copy of the shipped profiles: the page test saves a mapping into one.
shutil.copytree(ROOT / "profiler", _TMP / "profiler")
os.environ["LAGESBILD_PROFILER"] = str(_TMP / "profiler")
# Roles for the tests that switch login on (at.secrets with [auth]): one address per role.
ROLES_YAML = """roller:
  forvaltare: {epost: [forvaltare@kommun.test]}
  analytiker: {epost: [analytiker@kommun.test]}
  lasare: {epost: [lasare@kommun.test]}
"""
(_TMP / "roller.yaml").write_text(ROLES_YAML, encoding="utf-8")
os.environ["LAGESBILD_ROLLER"] = str(_TMP / "roller.yaml")

# A small municipality for import tests: three postnummer, 2022–2023, ten persons per
# postnummer, sex and single year of age.
AREAS = ("97231", "97333", "97345")


def population_csv(years=(2022, 2023)) -> bytes:
    lines = ["År;Postnummer;Kön;Ålder;Antal"]
    lines += [f"{y};{pc};{kon};{age};10" for y in years for pc in AREAS
              for kon in ("kvinnor", "män") for age in range(101)]
    return ("\n".join(lines) + "\n").encode()


def small_store(url: str):
    """A store holding only the small population above."""
    from lagesbild import store
    from lagesbild.config import Config
    from lagesbild.store import ingest

    cfg = Config(db_url=url, demo=False, profiles=_TMP / "profiler")
    engine = store.connect(url)
    ingest.import_bytes(engine, cfg, population_csv(), "befolkning.csv", "befolkning")
    return cfg, engine


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def requires_shared(test):
    """Mark a test that reads ../shared/geo (the GeoNames extract the demo is built from).

    A clone without ../shared beside it skips these; under CI, where it is present, they run.
    """
    from lagesbild.geo.geonames import DEFAULT_PATH

    return pytest.mark.skipif(not DEFAULT_PATH.exists() and not os.environ.get("CI"),
                              reason=f"{DEFAULT_PATH} is not beside the clone")(test)


@pytest.fixture
def hung_server():
    """A TCP server on localhost that accepts connections and never answers: a hung database.

    Yields its port.
    """
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])  # kept open, never read or written
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    server.close()


def no_internals(*texts: str) -> None:
    """Nothing a user sees holds a traceback, SQL or the names of our libraries."""
    for text in texts:
        for word in ("Traceback", "sqlalchemy", "SELECT", "INSERT", "psycopg", "sqlite3",
                     "File \""):
            assert word not in text, f"{word!r} reached the user: {text!r}"


# --- a real server and a real browser (the browser tests) ------------------------------------

CHROMIUM = "/usr/bin/chromium"


def shown_tables(at) -> list:
    """The page's full-height tables (``webapp.widgets.fitted``, st.table) as a reader sees
    them: their cells are literal Markdown, so the escapes and word joiners go."""
    return [t.value.map(lambda v: v.replace("\\", "").replace("\u2060", "")
                        if isinstance(v, str) else v) for t in at.table]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    """Skip without Debian's chromium locally; under CI its absence is a failure."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing under CI: .ci/run should install it.")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium).")


@contextmanager
def streamlit_app(port: int, env: dict, log_path: Path, *options: str, script: str = "app.py",
                  cwd: Path = ROOT, base: str = ""):
    """``streamlit run app.py`` (or *script*) on *port* until the block ends; waits for its
    health check.

    *script* and *cwd* run another script (a test's own), *base* is the server.baseUrlPath
    it was given in *options*, for the health check's address.
    """
    import subprocess
    import sys
    import time
    import urllib.request

    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script,
                                 "--server.port", str(port), *options],
                                cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 60
            prefix = f"/{base.strip('/')}" if base.strip("/") else ""
            health = f"http://127.0.0.1:{port}{prefix}/_stcore/health"
            while time.time() < deadline:
                try:
                    urllib.request.urlopen(health, timeout=2)
                    break
                except OSError:
                    time.sleep(0.3)
            else:
                pytest.fail(f"the Streamlit server did not start (log: {log_path})")
            yield f"http://127.0.0.1:{port}{prefix}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextmanager
def chromium(*args: str):
    """Debian's Chromium through Playwright, with the flags this machine needs (and *args*)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-dev-shm-usage", "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader", *args])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on the demo data, on a store of its own (the browser tests share it)."""
    require_chromium()
    # HOME too: Streamlit keeps its files under ~/.streamlit.
    env = {**os.environ, "HOME": str(tmp_path_factory.mktemp("home")),
           "LAGESBILD_DB_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'b.sqlite'}"}
    with streamlit_app(free_port(), env, tmp_path_factory.mktemp("log") / "server.log",
                       "--server.address", "127.0.0.1", "--server.headless", "true",
                       "--browser.gatherUsageStats", "false") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


# --- a real PostgreSQL server (the PostgreSQL and multi-server tests) -------------------------

def _pg_not_available(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is needed under CI: {reason}")
    pytest.skip(f"PostgreSQL test skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL server from Debian's postgresql, for the whole test run.

    It runs as the ``postgres`` user (PostgreSQL refuses root) in a temporary directory on a
    free port. Without the package the tests are skipped and say why; under CI (``CI`` set)
    that is a failure, since ``.ci/run`` installs it.
    """
    import subprocess

    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not bins:
        _pg_not_available("Debian's postgresql package is not installed "
                          "(apt-get install postgresql).")
    pg_ctl, initdb = bins[-1], bins[-1].parent / "initdb"
    as_postgres = []
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-pg-"))
    if os.geteuid() == 0:  # PostgreSQL will not run as root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
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
        _pg_not_available(f"the server could not be started: {exc}\n{details}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_postgres, pg_ctl, "-D", folder / "data", "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_database(postgres_url: str, name: str):
    """A database of its own on the test server, dropped afterwards; yields its URL.

    The tests in test_postgres.py share the server's ``postgres`` database and empty it after
    each test; a test that keeps a store for several processes takes its own database instead.
    """
    import sqlalchemy as sa

    # pre-ping: a test may restart the server meanwhile (test_postgres_faults.py)
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(autouse=True)
def _environment_kept():
    """A test that changes LAGESBILD_* settings must put them back (monkeypatch.setenv):
    a leaked store address once sent every later page test to another store."""
    before = {k: v for k, v in os.environ.items() if k.startswith("LAGESBILD_")}
    yield
    after = {k: v for k, v in os.environ.items() if k.startswith("LAGESBILD_")}
    assert after == before, f"the test left LAGESBILD_* changed: {set(after.items()) ^ set(before.items())}"
