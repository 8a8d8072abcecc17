"""The command line and the calibration of the demo data, read back through the store."""

import io
import os
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest

from lagesbild import store
from lagesbild.analysis import aggregate
from lagesbild.cli import main
from lagesbild.config import Config
from lagesbild.store import ingest
from lagesbild.release import publish


@pytest.fixture(scope="module")
def cfg(tmp_path_factory):
    return Config(db_url=f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.sqlite'}")


@pytest.fixture(scope="module")
def engine(cfg):
    return publish.open_store(cfg)


def run(cfg, *argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("LAGESBILD_DB_URL")
    os.environ["LAGESBILD_DB_URL"] = cfg.db_url
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
    finally:
        os.environ["LAGESBILD_DB_URL"] = old
    return code, out.getvalue(), err.getvalue()


def test_summary_by_sex_2023(cfg, engine):
    code, out, err = run(cfg, "summary", "orosanmalningar", "--ar", "2023", "--per", "kon",
                         "--exakt")
    assert code == 0 and "EXAKTA VÄRDEN" in err
    table = pd.read_csv(io.StringIO(out), dtype={"antal": str})
    assert table.columns.tolist() == ["kon", "antal", "per_1000"]
    assert dict(zip(table["kon"], table["antal"])) == {"K": "1997", "M": "1710"}
    # Without --exakt the published numbers: near the truth (the release's noise), rates
    # from them.
    code, out, err = run(cfg, "summary", "orosanmalningar", "--ar", "2023", "--per", "kon")
    assert code == 0 and "EXAKTA" not in err
    shown = pd.read_csv(io.StringIO(out)).set_index("kon")
    assert abs(shown.loc["K", "antal"] - 1997) <= 40 and abs(shown.loc["M", "antal"] - 1710) <= 40
    assert shown.loc["K", "per_1000"] == pytest.approx(
        round(1000 * shown.loc["K", "antal"] / round(1000 * 1997 / 219.76), 1), abs=0.11)


@pytest.mark.parametrize("year, girls, boys", [(2021, 1228, 1394), (2023, 1997, 1710)])
def test_orosanmalningar_calibration(engine, cfg, year, girls, boys):
    m = cfg.catalogue.measure("orosanmalningar")
    out = aggregate.summary(store.read_counts(engine, m), store.read_population(engine), m,
                            aggregate.Period.year(year), ["kon"])
    assert out.set_index("kon")["antal"].to_dict() == {"K": girls, "M": boys}


def test_population_2023(engine):
    pop = store.read_population(engine)
    assert pop.loc[pop["ar"] == 2023, "antal"].sum() == 79352


@pytest.mark.parametrize("year, per_100k", [(2023, 10.1), (2024, 6.3)])
def test_evictions_affecting_children(engine, cfg, year, per_100k):
    m = cfg.catalogue.measure("vrakningar")
    frame = store.read_counts(engine, m)
    frame, _ = aggregate.apply_filters(frame, m, aggregate.Filters(categories=(
        ("skede", ("verkstalld",)), ("barn_berorda", ("ja",)))))
    n = aggregate.period_total(frame, m, aggregate.Period.year(year))
    pop = store.read_population(engine)
    assert round(1e5 * n / pop.loc[pop["ar"] == year, "antal"].sum(), 1) == per_100k


def test_akutboende_nights_january_to_may_2025(engine, cfg):
    m = cfg.catalogue.measure("akutboende")
    period = aggregate.Period(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-05-01"))
    assert aggregate.period_total(store.read_counts(engine, m), m, period) == 1209


def test_every_measure_covers_2019_to_october_2026(engine, cfg):
    for code, m in cfg.catalogue.measures.items():
        months = store.read_counts(engine, m)["month"]
        assert months.min() == pd.Timestamp("2019-01-01"), code
        assert months.max() == pd.Timestamp("2026-10-01"), code


@pytest.mark.parametrize("argv, message", [
    (["summary", "okant_matt"], "Okänt mått ”okant_matt”"),
    (["summary", "orosanmalningar", "--per", "skostorlek"], "ingen dimension ”skostorlek”"),
    (["summary", "vrakningar", "--per", "kon"], "ingen dimension ”kon”"),
    (["summary", "orosanmalningar", "--manad", "2023-13"], "ÅÅÅÅ-MM"),
    (["summary"], "Fel i kommandot"),
])
def test_usage_errors_exit_2_with_one_swedish_line(cfg, engine, argv, message):
    code, out, err = run(cfg, *argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_suppressed_counts_print_as_below_threshold(cfg, engine):
    code, out, _ = run(cfg, "summary", "vrakningar", "--manad", "2024-03", "--per",
                       "postnummer")
    assert code == 0
    table = pd.read_csv(io.StringIO(out), dtype=str)
    assert set(table["antal"]) <= {"0", "<5"} | {str(n) for n in range(5, 1000)}
    hidden = table[table["antal"] == "<5"]
    assert len(hidden) > 0
    assert hidden["per_1000"].isna().all()


def test_levels_are_averaged_not_summed(cfg, engine):
    code, out, _ = run(cfg, "summary", "akutboende", "--storhet", "platser", "--ar", "2025")
    assert code == 0
    places = int(pd.read_csv(io.StringIO(out))["antal"].iloc[0])
    assert 5 <= places <= 30  # places per month, not a sum over twelve months


def test_places_are_not_split_by_sex(cfg, engine):
    code, _, err = run(cfg, "summary", "akutboende", "--storhet", "platser", "--per", "kon")
    assert code == 2
    assert "inte uppdelade på kön" in err


def test_output_to_a_closed_pipe_is_not_an_error(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    proc = subprocess.run(
        f"{sys.executable} -m lagesbild summary orosanmalningar --manad 2026-10 "
        "--per postnummer | head -1", shell=True, cwd=ROOT, capture_output=True, text=True,
        env={**os.environ})
    assert proc.stdout.strip() == "postnummer,antal,per_1000"
    assert "Traceback" not in proc.stderr and "oväntat" not in proc.stderr


def test_summary_of_evictions_counts_applications_unless_split_by_stage(cfg, engine):
    code, out, err = run(cfg, "summary", "vrakningar", "--ar", "2024")
    assert code == 0 and "ansökningar om avhysning" in err
    total = int(out.splitlines()[1].split(",")[0])
    code, out, _ = run(cfg, "summary", "vrakningar", "--ar", "2024", "--per", "skede")
    stages = {line.split(",")[0]: int(line.split(",")[1]) for line in out.splitlines()[1:]}
    assert set(stages) == {"ansokan", "verkstalld"}
    assert total == stages["ansokan"]  # not both stages of the same case added up


def test_summary_lists_categories_in_catalogue_order(cfg, engine):
    code, out, _ = run(cfg, "summary", "orosanmalningar", "--ar", "2024", "--per", "orsak",
                       "--per", "kon")
    listed = list(dict.fromkeys(line.split(",")[0] for line in out.splitlines()[1:]))
    catalogue = list(Config.from_env().catalogue.measure("orosanmalningar")
                     .dimensions["orsak"].categories)
    assert code == 0 and listed == [c for c in catalogue if c in listed]
    assert listed != sorted(listed)
