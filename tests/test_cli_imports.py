"""The command line imports only what a command uses: ``--help`` needs no pandas, SQLAlchemy,
pyarrow or Altair, and ``summary`` reads no file, draws no map and writes no report (issue 26:
a command starts in well under a second)."""

import os
import subprocess
import sys

import pytest
from conftest import ROOT, small_store
from test_import import GOOD_ROWS, events

HEAVY = ("pandas", "sqlalchemy", "pyarrow", "altair")

# Runs main as python -m lagesbild does, then names the modules loaded by then.
SHOW = """
import sys
from lagesbild.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
print("MODULES", " ".join(sorted(sys.modules)))
print("EXIT", code)
"""


def _run(*argv: str, env: dict | None = None) -> tuple[set[str], str]:
    done = subprocess.run([sys.executable, "-c", SHOW, *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines()
                 if line.startswith(("MODULES ", "EXIT ")))
    assert "MODULES" in lines, done.stdout + done.stderr
    return set(lines["MODULES"].split()), lines["EXIT"]


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.mark.parametrize("argv", [["--help"], ["summary", "--help"], ["areas", "--help"],
                                  ["kolada", "visa", "--help"], ["import", "--help"]])
def test_help_imports_no_pandas_sqlalchemy_pyarrow_or_altair(argv):
    modules, code = _run(*argv)
    assert code == "0"
    assert _heavy(modules) == []


def test_a_usage_error_imports_nothing_heavy_either():
    modules, code = _run("summary", "--manad")
    assert code == "2"
    assert _heavy(modules) == []


def test_python_m_lagesbild_help_imports_none_of_them():
    """The real entry point, seen through -X importtime (every module imported, on stderr)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "lagesbild", "--help"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:") and "|" in line}
    assert "lagesbild.cli" in imported
    assert sorted(m for m in imported if m.split(".")[0] in HEAVY) == []


def test_summary_loads_no_file_reader_map_report_or_process(tmp_path):
    """summary needs the catalogue, the releases, the population and disclosure: not intake's
    readers and checks, geo, present, the report views, the lägesbild process or Alembic."""
    from lagesbild.release import publish
    from lagesbild.store import ingest

    cfg, engine = small_store(f"sqlite:///{tmp_path / 'liten.sqlite'}")
    ingest.import_bytes(engine, cfg, events(*GOOD_ROWS), "jan.csv", "orosanmalningar")
    publish.open_store(cfg)  # publishes the months once, here rather than in the command
    env = {"LAGESBILD_DB_URL": cfg.db_url, "LAGESBILD_DEMO": "0",
           "LAGESBILD_LOGG": str(tmp_path / "cli.log")}
    modules, code = _run("summary", "orosanmalningar", "--ar", "2023", env=env)
    assert code == "0"
    assert {"pandas", "sqlalchemy", "lagesbild.views.source"} <= modules  # it did read
    unwanted = ("lagesbild.intake.", "lagesbild.geo", "lagesbild.present",
                "lagesbild.store.ingest", "lagesbild.store.process", "lagesbild.store.audit",
                "lagesbild.views.areas", "lagesbild.views.figures", "lagesbild.views.report",
                "alembic", "openpyxl", "altair", "pydantic", "pandera", "geopandas")
    assert sorted(m for m in modules if m.startswith(unwanted)) == []


def test_the_map_values_are_the_views():
    from lagesbild.cli import read
    from lagesbild.views import areas

    assert list(read.MAP_VALUES) == list(areas.METRICS)
