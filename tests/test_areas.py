"""Area analysis: funnel limits against known Poisson quantiles, groupings, area tables and
their disclosure control, and the `areas` and `map` commands."""

import io
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT
from PIL import Image

from lagesbild import store
from lagesbild.analysis import areas, funnel, periods
from lagesbild.config import Config
from lagesbild.errors import ConfigError, UnknownError
from lagesbild.geo import groupings
from lagesbild.store import ingest
from lagesbild.views import areas as area_views
from lagesbild.views import source
from lagesbild.release import publish

CFG = Config.from_env()


# --- funnel limits --------------------------------------------------------------------------

@pytest.mark.parametrize("p, mu, expected", [
    # R: qpois(p, mu)
    (0.001, 10, 2), (0.025, 10, 4), (0.975, 10, 17), (0.999, 10, 21),
    (0.025, 100, 81), (0.975, 100, 120), (0.5, 3.5, 3), (0.975, 0.5, 2), (0.025, 0.5, 0),
])
def test_poisson_quantiles_match_known_values(p, mu, expected):
    assert funnel.quantile(p, mu) == expected


def test_interpolated_limits_lie_between_neighbouring_quantiles():
    for mu in (0.7, 4, 25, 300):
        for p in (0.001, 0.025, 0.975, 0.999):
            q = funnel.quantile(p, mu)
            assert q - 1 <= funnel.limit(p, mu) <= q


def test_funnel_narrows_as_population_grows():
    small = funnel.bounds(200, 50)
    large = funnel.bounds(200, 5000)
    assert small[0] < large[0] < 200 < large[1] < small[1]
    narrow = funnel.bounds(200, 500, "95")
    wide = funnel.bounds(200, 500, "998")
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


def test_flags_need_more_than_chance():
    table = pd.DataFrame({"antal": [150, 4, 40, 100], "befolkning": [500, 10, 200, 1000]})
    flagged = funnel.flags(table, 100.0)  # municipal rate: 100 per 1 000
    # 300 per 1 000 in 500 people is far outside; 400 in 10 people is chance.
    assert flagged["flagga"].tolist() == ["över", "inom", "över", "inom"]
    low = funnel.flags(pd.DataFrame({"antal": [20], "befolkning": [1000]}), 100.0)
    assert low["flagga"].iloc[0] == "under"


# --- groupings -------------------------------------------------------------------------------

def test_demo_grouping_covers_every_postnummer_once():
    grouping = groupings.load_grouping(CFG.omraden)
    from lagesbild.geo import layers

    layer = layers.read_layer(CFG.shapes)
    assigned = layer["postnummer"].map(grouping.area_of)
    assert assigned.notna().all()
    assert 5 <= len(grouping.labels) <= 10
    dissolved = groupings.dissolve(layer, grouping)
    assert len(dissolved) == len(grouping.labels)
    assert dissolved.area.sum() == pytest.approx(layer.area.sum(), rel=1e-6)


@pytest.mark.parametrize("body, message", [
    ("omraden: []", "saknar listan"),
    ("omraden:\n  - {kod: a, namn: A, postnummer: ['972*']}\n"
     "  - {kod: b, namn: B, postnummer: ['97231']}", "hamnar i två områden"),
    ("omraden:\n  - {kod: a, namn: A, postnummer: ['97x*']}", "varken ett postnummer"),
    ("omraden:\n  - {kod: a, namn: A, postnummer: ['972*']}\n"
     "  - {kod: a, namn: B, postnummer: ['973*']}", "två gånger"),
])
def test_bad_groupings_get_swedish_messages(tmp_path, body, message):
    path = tmp_path / "omraden.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        groupings.load_grouping(path)


def test_missing_grouping_file_names_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="LAGESBILD_OMRADEN"):
        groupings.load_grouping(tmp_path / "saknas.yaml")


# --- periods ---------------------------------------------------------------------------------

def test_periods_parse_and_only_whole_quarters_are_offered():
    assert periods.parse_period("kvartal", "2025-Q2").start == pd.Timestamp("2025-04-01")
    assert periods.parse_period("kvartal", "2025-Q2").months == 3
    assert periods.parse_period("rullande", "2025-03").start == pd.Timestamp("2024-04-01")
    assert periods.period_label("kvartal", "2025-Q2") == "kvartal 2 2025"
    months = list(pd.date_range("2025-01-01", "2025-10-01", freq="MS"))
    assert periods.period_options("kvartal", months, months[-1]) == ["2025-Q3", "2025-Q2",
                                                                    "2025-Q1"]
    with pytest.raises(UnknownError, match="2025-Q1"):
        periods.parse_period("kvartal", "2025-Q5")


def test_only_whole_rolling_windows_quarters_and_years_are_offered():
    months = list(pd.date_range("2024-02-01", "2025-10-01", freq="MS"))
    rolling = periods.period_options("rullande", months, months[-1])
    assert rolling[0] == "2025-10" and rolling[-1] == "2025-01"  # 12 months back to 2024-02
    assert periods.period_options("kvartal", months, months[-1])[-1] == "2024-Q2"  # not Q1
    assert periods.period_options("ar", months, months[-1]) == []  # neither year is whole
    assert periods.period_options("manad", months, months[-1])[-1] == "2024-02"


# --- the area table on the demo store -------------------------------------------------------

@pytest.fixture(scope="module")
def demo():
    engine = publish.open_store(CFG)
    measure = CFG.catalogue.measure("orosanmalningar")
    return measure, source.counts(engine, CFG, measure), store.read_population(engine)


def test_area_level_sums_the_postnummer_and_keeps_the_municipal_total(demo):
    measure, counts, population = demo
    period = periods.parse_period("ar", "2025")
    grouping = groupings.load_grouping(CFG.omraden)
    by_postnummer = areas.area_table(counts, population, measure, period)
    by_area = areas.area_table(counts, population, measure, period, "omrade", grouping)
    assert by_area["antal"].sum() == by_postnummer["antal"].sum()
    assert by_area["befolkning"].sum() == by_postnummer["befolkning"].sum()
    assert list(by_area["kod"]) == list(grouping.labels)  # the file's order
    rate = by_area.attrs["kommun_per_1000"]
    assert rate == pytest.approx(1000 * by_area["antal"].sum() / by_area["befolkning"].sum())
    row = by_area.iloc[0]
    assert row["forandring"] == row["antal"] - row["antal_fg"]


def test_hidden_counts_hide_rate_change_and_flag(demo):
    measure, counts, population = demo
    table = areas.area_table(counts, population, measure, periods.parse_period("manad",
                                                                              "2025-05"))
    safe = area_views.protect(table, 5)
    hidden = safe[safe["skyddad"]]
    assert len(hidden), "the demo month should have small areas"
    assert (table.loc[safe["skyddad"], "antal"] <= 4 + 2).all()  # published 1-4, true ≤ 6
    assert hidden["antal"].isna().all() and hidden["per_1000"].isna().all()
    assert hidden["flagga"].isna().all() and hidden["forandring"].isna().all()
    shown = safe[~safe["skyddad"] & safe["antal"].gt(0)]
    assert ((shown["antal"] - table.loc[shown.index, "antal"]).abs() <= 2).all()
    assert (shown["per_1000"] == (1000 * shown["antal"] / shown["befolkning"]).round(1)).all()
    before_hidden = safe["antal_fg"].isna() & safe["antal"].notna()
    if before_hidden.any():  # last year's hidden count hides the change, not this year's
        assert safe.loc[before_hidden, "forandring_pct"].isna().all()
    shown = area_views.display_table(safe, "postnummer", {}, None, 5)
    from lagesbild.present import export

    export.check(shown)  # the export layer accepts it


# --- commands --------------------------------------------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lagesbild", *args], cwd=ROOT,
                          capture_output=True, timeout=180)


def test_areas_command_prints_the_protected_table():
    run = _cli("areas", "orosanmalningar", "--ar", "2025", "--niva", "omrade")
    assert run.returncode == 0, run.stderr.decode()
    frame = pd.read_csv(io.StringIO(run.stdout.decode()), dtype=str)
    assert list(frame.columns) == ["omrade", "namn", "antal", "befolkning", "per_1000",
                                   "flagga"]
    assert set(frame["flagga"]) <= {"över", "under", "inom"}
    yearly = _cli("summary", "orosanmalningar", "--ar", "2025")
    total = int(pd.read_csv(io.StringIO(yearly.stdout.decode()))["antal"].iloc[0])
    # Each area and the total are cells of their own: the parts add up to about the total.
    assert abs(frame["antal"].astype(int).sum() - total) <= 2 * (len(frame) + 1)
    exact = _cli("areas", "orosanmalningar", "--ar", "2025", "--niva", "omrade", "--exakt")
    exact_total = _cli("summary", "orosanmalningar", "--ar", "2025", "--exakt")
    assert b"EXAKTA" in exact.stderr
    assert (pd.read_csv(io.StringIO(exact.stdout.decode()))["antal"].sum()
            == pd.read_csv(io.StringIO(exact_total.stdout.decode()))["antal"].iloc[0])

    small = _cli("areas", "orosanmalningar", "--manad", "2025-05", "--filter", "kon=K",
                 "--filter", "anmalare=skola")
    assert small.returncode == 0, small.stderr.decode()
    rows = pd.read_csv(io.StringIO(small.stdout.decode()), dtype=str, keep_default_na=False)
    hidden = rows[rows["antal"] == "<5"]
    assert len(hidden) > 0 and (hidden["per_1000"] == "").all() and (hidden["flagga"] == "").all()
    assert not rows["antal"].isin(["1", "2", "3", "4"]).any()


@pytest.mark.parametrize("args, message", [
    (["--kvartal", "2025-Q7"], "går inte att läsa"),
    (["--ar", "2025", "--manad", "2025-01"], "högst en av"),
    (["--filter", "orsak"], "DIM=VÄRDE"),
    (["--filter", "kon=X"], "Okänt värde"),
    (["--filter", "farg=bla"], "ingen dimension"),
])
def test_areas_command_usage_errors(args, message):
    run = _cli("areas", "orosanmalningar", *args)
    assert run.returncode == 2
    assert message in run.stderr.decode()
    assert "Traceback" not in run.stderr.decode()


def test_map_command_writes_png_and_svg(tmp_path):
    png = tmp_path / "karta.png"
    run = _cli("map", "orosanmalningar", "--kvartal", "2025-Q1", "--ut", str(png))
    assert run.returncode == 0, run.stderr.decode()
    image = Image.open(png)
    assert image.width == 1920 and image.height > 800
    svg = tmp_path / "karta.svg"
    run = _cli("map", "orosanmalningar", "--niva", "omrade", "--varde", "forandring_pct",
               "--format", "svg", "--ut", str(svg))
    assert run.returncode == 0, run.stderr.decode()
    text = svg.read_text(encoding="utf-8")
    assert "Orosanmälningar: förändring mot samma period i fjol (%), per område" in text
    assert "röjandekontroll" in text and "Källa:" in text


def test_static_map_draws_areas_not_the_whole_globe(tmp_path):
    # d3-geo reads a counter-clockwise ring as everything outside it: dissolved areas must be
    # turned clockwise, or the image is one flat colour.
    out = tmp_path / "omraden.png"
    run = _cli("map", "orosanmalningar", "--niva", "omrade", "--ut", str(out))
    assert run.returncode == 0, run.stderr.decode()
    image = Image.open(out).convert("RGB")
    colours = sorted(image.getcolors(maxcolors=1 << 20), reverse=True)
    pixels = image.width * image.height
    white = next((n for n, c in colours if c == (255, 255, 255)), 0)
    assert white > 0.4 * pixels  # the background around the municipality
    biggest_fill = next(n for n, c in colours if c != (255, 255, 255))
    assert biggest_fill < 0.25 * pixels
