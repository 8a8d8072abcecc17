"""Publicering: one protected, consistent release per month that every view reads.

The release's table adds up in every view; a month a measure did not deliver is "inga
uppgifter", never 0; a published month is frozen and a correction is a new version; a report
made again for the same month and version is the same and leaves out what came later; the
noise is OpenDP's, measured at every level, zeros included, and its cost is recorded.
"""

from __future__ import annotations

import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from lagesbild import store
from lagesbild.analysis import aggregate, quality
from lagesbild.config import Config
from lagesbild.release import publish, topdown
from lagesbild.store import ingest, process, releases
from lagesbild.views import areas as area_views
from lagesbild.views import overview, report_inputs, source

OROS = "Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """The published demo store, made once; each test gets a copy of its own."""
    path = tmp_path_factory.mktemp("publicering") / "demo.sqlite"
    engine = publish.open_store(Config(db_url=f"sqlite:///{path}"))
    engine.dispose()
    return path


@pytest.fixture
def demo(demo_file, tmp_path):
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_file, path)
    cfg = Config(db_url=f"sqlite:///{path}")
    engine = publish.open_store(cfg)
    yield cfg, engine
    engine.dispose()


def _snapshot(cfg, engine) -> source.Snapshot:
    return source.read(engine, cfg, store.fingerprint(engine))


# --- The table: noise at every level, one consistent table ---------------------------------

def _month(rng, areas=30, mean=0.2) -> pd.DataFrame:
    rows = [{"postnummer": f"97{i:03d}", "kon": k, "aldersgrupp": a, "orsak": o,
             "anmalare": "polis", "storhet": "antal", "antal": n}
            for i in range(areas) for k in ("K", "M") for a in ("0-5", "6-11")
            for o in ("ovrigt", "skolfranvaro")
            if (n := int(rng.poisson(mean * (i % 3 == 0))))]
    return pd.DataFrame(rows)


def test_a_month_is_one_table_of_whole_non_negative_numbers_near_the_truth():
    measure = Config().catalogue.measure("orosanmalningar")
    rng = np.random.default_rng(4)
    true = _month(rng)
    values = {"postnummer": [f"97{i:03d}" for i in range(30)], "kon": ["K", "M"],
              "aldersgrupp": [g.code for g in measure.age_groups],
              "orsak": list(measure.dimensions["orsak"].categories),
              "anmalare": list(measure.dimensions["anmalare"].categories), "storhet": ["antal"]}
    noise = topdown.Noise()
    runs = [topdown.protect_month(true, topdown.Domain(values), noise, topdown.Budget(), rng)
            for _ in range(30)]
    for out in runs:
        assert list(out.columns) == list(true.columns)
        assert (out["antal"] > 0).all() and out["antal"].dtype == np.int64
    totals = np.array([out["antal"].sum() for out in runs])
    assert abs(totals.mean() - true["antal"].sum()) < 1.5  # the municipal total: σ = 1
    by_area = pd.concat([out.groupby("postnummer")["antal"].sum() for out in runs], axis=1)\
        .reindex(values["postnummer"]).fillna(0)
    truth = true.groupby("postnummer")["antal"].sum().reindex(values["postnummer"]).fillna(0)
    # Zeros are measured too: an area with no event is published with some, sometimes, and
    # an area with events is published as 0, sometimes: a published 0 proves nothing.
    assert (by_area[truth == 0] > 0).any(axis=None)
    assert (by_area[truth > 0] == 0).any(axis=None)
    # Every level of measurement cost privacy, and OpenDP says how much (ρ = 1 / 2σ²).
    assert noise.spent["antal:kommun"] == pytest.approx(0.5)
    assert noise.spent["antal:postnummer"] == pytest.approx(1 / (2 * 1.75 ** 2))


def test_the_fit_keeps_each_row_total_and_never_goes_negative():
    rng = np.random.default_rng(1)
    y = rng.normal(2, 3, size=(50, 7))
    rows = rng.integers(0, 20, size=50)
    out = topdown.fit(y, rows)
    assert (out >= 0).all() and (out.sum(axis=1) == rows).all()
    cols = np.bincount(rng.integers(0, 7, size=rows.sum()), minlength=7)
    both = topdown.fit(y, rows, cols)
    assert (both.sum(axis=1) == rows).all()
    assert np.abs(both.sum(axis=0) - cols).sum() <= 0.1 * rows.sum() + 7


# --- Every view reads the release, and it adds up -------------------------------------------

def test_every_published_total_is_the_sum_of_its_parts_in_every_view(demo):
    cfg, engine = demo
    snap = _snapshot(cfg, engine)
    m = cfg.catalogue.measure("orosanmalningar")
    frame, people = snap.counts[m.code], snap.population
    year = aggregate.Period.year(2025)
    total = int(aggregate.summary(frame, people, m, year, [])["antal"].iloc[0])
    for by in (["postnummer"], ["kon"], ["aldersgrupp"], ["orsak"], ["anmalare"],
               ["kon", "orsak"]):
        assert aggregate.summary(frame, people, m, year, by)["antal"].sum() == total, by
    months = aggregate.monthly(frame, m, months=pd.date_range("2025-01-01", "2025-12-01",
                                                              freq="MS"))
    assert months["antal"].sum() == total
    quarters = [aggregate.summary(frame, people, m, aggregate.Period(
        pd.Timestamp(f"2025-{q:02d}-01"), pd.Timestamp(f"2025-{q + 2:02d}-01")), [])
        ["antal"].iloc[0] for q in (1, 4, 7, 10)]
    assert sum(quarters) == total
    girls = aggregate.select(frame, people, m, aggregate.Filters(kon=("K",))).rows
    boys = aggregate.select(frame, people, m, aggregate.Filters(kon=("M",))).rows
    assert (aggregate.summary(girls, people, m, year, [])["antal"].iloc[0]
            + aggregate.summary(boys, people, m, year, [])["antal"].iloc[0]) == total
    # The map's areas (postnummer and larger areas) add up to its municipal figure.
    from lagesbild.geo import groupings

    grouping = groupings.load_grouping(cfg.omraden)
    for level in ("postnummer", "omrade"):
        table, _ = area_views.exact_table(frame, people, m, "ar", "2025", level,
                                          aggregate.Filters(), grouping)
        assert table["antal"].sum() == total, level
    # The overview card's rolling 12 months is the sum of its months.
    card = overview.card(frame, m, cfg.threshold, pd.Timestamp("2025-12-01"))
    assert card.rolling12.replace("\u00a0", "") == str(total)


def test_a_published_number_is_the_same_on_every_route(demo, capsys, monkeypatch):
    from lagesbild.cli import main

    cfg, engine = demo
    snap = _snapshot(cfg, engine)
    m = cfg.catalogue.measure("orosanmalningar")
    by_sex = aggregate.summary(snap.counts[m.code], snap.population, m,
                               aggregate.Period.year(2025), ["kon"])
    monkeypatch.setenv("LAGESBILD_DB_URL", cfg.db_url)
    assert main(["summary", "orosanmalningar", "--ar", "2025", "--per", "kon"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()[1:]
    assert [int(line.split(",")[1]) for line in lines] == by_sex["antal"].tolist()


# --- Delivery: an undelivered month is "inga uppgifter", never 0 ----------------------------

def _next_month_of_one_measure(cfg, engine) -> None:
    rows = [f"2026-11-{d:02d};97231;Flicka;{d % 18};Övrigt;Polis" for d in range(1, 29)]
    data = ("\n".join([OROS, *rows]) + "\n").encode()
    ingest.import_bytes(engine, cfg, data, "oros_nov.csv", "orosanmalningar")


def test_a_month_is_seen_only_once_it_is_published(demo):
    cfg, engine = demo
    _next_month_of_one_measure(cfg, engine)
    before = _snapshot(cfg, engine)
    assert before.latest() == pd.Timestamp("2026-10-01")
    assert not (before.counts["orosanmalningar"]["month"] == "2026-11-01").any()
    assert publish.unpublished_months(engine, cfg) == ["2026-11"]
    done = publish.publish_month(engine, cfg, "2026-11", "test")
    assert done.delivered("orosanmalningar") and not done.delivered("kia")
    after = _snapshot(cfg, engine)
    assert after.latest() == pd.Timestamp("2026-11-01")
    assert after.latest("kia") == pd.Timestamp("2026-10-01")


def test_one_measure_delivered_alone_leaves_the_other_six_inga_uppgifter_everywhere(demo):
    cfg, engine = demo
    _next_month_of_one_measure(cfg, engine)
    publish.publish_month(engine, cfg, "2026-11", "test")
    snap = _snapshot(cfg, engine)
    month = pd.Timestamp("2026-11-01")
    others = [c for c in cfg.catalogue.measures if c != "orosanmalningar"]
    cards = {c.measure: c for c in overview.cards(snap.counts, cfg, month,
                                                  aggregate.Filters())}
    assert cards["orosanmalningar"].value != overview.NO_DATA
    for code in others:
        card = cards[code]
        assert card.value == overview.NO_DATA and card.rolling12 == overview.NO_DATA, code
        assert card.delta is None
        assert "senast publicerad oktober 2026" in card.note
        m = cfg.catalogue.measure(code)
        table = aggregate.summary(snap.counts[code], snap.population, m,
                                  aggregate.Period.month(month), [])
        assert table["antal"].isna().all(), code
        series = aggregate.monthly(snap.counts[code], m, months=pd.date_range(
            "2026-09-01", month, freq="MS"))
        assert pd.isna(series["antal"].iloc[-1]) and series["antal"].iloc[0] >= 0
    missing = quality.data_quality(snap.counts, snap.population, cfg.catalogue)\
        .set_index("Mått")["Saknade månader"]
    assert all("2026-11" in missing[cfg.catalogue.measure(c).short] for c in others)
    # The report of November names each measure's latest published month instead of a 0.
    built, _ = report_inputs.inputs(cfg, engine, "manad", "2026-11", "ledningsgrupp",
                                    postorter={})
    by_code = {s.measure.code: s for s in built.sections}
    for code in others:
        line = by_code[code].line
        assert "oktober 2026 (senast publicerad)" in line, line
        assert " 0 " not in line.replace("\u00a0", " ")
    assert "inga uppgifter" not in by_code["orosanmalningar"].shown("period", 5)


# --- Frozen and versioned; reports made again are the same ----------------------------------

def test_a_correction_is_a_new_version_and_the_older_stays_readable(demo):
    cfg, engine = demo
    first = releases.latest(engine)[-1]
    again = publish.publish_month(engine, cfg, first.month, "test")
    assert (again.month, again.version) == (first.month, first.version + 1)
    versions = [r for r in releases.listed(engine) if r.month == first.month]
    assert [r.version for r in versions] == [1, 2]
    old = source.as_published(engine, cfg, first.month, version=1)
    new = source.as_published(engine, cfg, first.month)
    assert old.release_of(pd.Timestamp(f"{first.month}-01")).version == 1
    assert new.release_of(pd.Timestamp(f"{first.month}-01")).version == 2
    with pytest.raises(Exception, match="ingen version 9"):
        source.as_published(engine, cfg, first.month, version=9)


def test_a_report_made_again_is_the_same_and_leaves_out_what_came_later(demo):
    cfg, engine = demo

    def made():
        built, inputs = report_inputs.inputs(cfg, engine, "manad", "2026-10", "ledningsgrupp",
                                             postorter={})
        numbers = [s.cells["antal"].tolist() for s in built.sections]
        return built, inputs, numbers

    built, inputs, numbers = made()
    assert "version 1" in built.release
    # Later: November is published, October gets a new version, an action is decided in
    # December. October's report of version 1 does not change.
    _next_month_of_one_measure(cfg, engine)
    publish.publish_month(engine, cfg, "2026-11", "test")
    publish.publish_month(engine, cfg, "2026-10", "test")
    process.add_action(engine, process.Action(
        titel="Beslutad i december", start=date(2026, 12, 3),
        indikatorer=(process.Indicator("orosanmalningar"),)), who="test")
    built_v1, inputs_v1 = report_inputs.inputs(cfg, engine, "manad", "2026-10",
                                               "ledningsgrupp", version=1, postorter={})
    assert [s.cells["antal"].tolist() for s in built_v1.sections] == numbers
    assert built_v1.summary == built.summary
    assert "Beslutad i december" not in {a.titel for a in inputs_v1.actions}
    assert max(inputs_v1.counts["orosanmalningar"]["month"]) == pd.Timestamp("2026-10-01")
    built_v2, _ = report_inputs.inputs(cfg, engine, "manad", "2026-10", "ledningsgrupp",
                                       postorter={})
    assert "version 2" in built_v2.release


# --- Upgrade: a store from before releases gets its past months published --------------------

def test_a_store_without_releases_gets_its_months_published_when_opened(tmp_path):
    from conftest import small_store

    cfg, engine = small_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    rows = [f"2023-0{m};97231;Flicka;4;Övrigt;Polis".replace(f"2023-0{m}", f"2023-0{m}-02")
            for m in (3, 4)]
    ingest.import_bytes(engine, cfg, ("\n".join([OROS, *rows]) + "\n").encode(), "o.csv",
                        "orosanmalningar")
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM releases")).scalar() == 0
    engine.dispose()
    opened = publish.open_store(cfg)
    assert [r.month for r in releases.listed(opened)] == ["2023-03", "2023-04"]
    assert all(r.created_by == "system" for r in releases.listed(opened))
