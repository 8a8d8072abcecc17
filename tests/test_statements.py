"""Honest statements (issue 22), on the demo: every statement of the summary against the
engine's numbers, one correction per report, stocks, the KIA break, the action's course and
placebo, and the eighteen monthly reports 2025-01 … 2026-06 saying only what the demo
generator planted (see README, "Vad lägesbilden påstår")."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from lagesbild import fmt, store
from lagesbild.analysis import aggregate, baseline, effect, notable
from lagesbild.config import Config
from lagesbild.release import publish
from lagesbild.store import process
from lagesbild.views import breakdown as bd
from lagesbild.views import effect as effect_views
from lagesbild.views import method, report, source
from tools import demo as demo_tool

PLANTED_AREAS = {f"{c[:3]} {c[3:]}" for c in demo_tool.HIGH_RATE_POSTNUMMER}
ACTION_AREA = f"{demo_tool.ACTION_POSTNUMMER[:3]} {demo_tool.ACTION_POSTNUMMER[3:]}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pastaenden') / 'demo.sqlite'}"
    cfg = Config(db_url=url)
    engine = publish.open_store(cfg, create=True)
    counts = source.all_counts(engine, cfg)
    population = store.read_population(engine)
    actions = process.actions(engine, open_only=True)
    return cfg, counts, population, actions


def _build(demo, kind, code, typ="nyhetsbrev", **kw):
    cfg, counts, population, actions = demo
    return report.build(cfg, counts, population, actions, typ, kind, code, **kw)


@pytest.fixture(scope="module")
def monthly(demo):
    return _build(demo, "manad", "2026-10")


@pytest.fixture(scope="module")
def quarterly(demo):
    return _build(demo, "kvartal", "2026-Q3", "namnd")


def _published(demo, measure, end):
    cfg, counts, *_ = demo
    frame = counts[measure.code]
    rows, _ = aggregate.apply_filters(frame, measure, aggregate.Filters(
        categories=measure.headline_filter))
    start = end - pd.DateOffset(months=12 * baseline.YEARS + 24)
    return bd.published_series(rows, frame, measure, start, end, None, cfg.threshold)


@pytest.mark.parametrize("which", ["monthly", "quarterly"])
def test_every_expected_range_and_p_value_is_the_engines(demo, which, request):
    built = request.getfixturevalue(which)
    tests = built.tests.set_index(["matt", "test"])
    for s in built.sections:
        m = s.measure
        series = _published(demo, m, built.period.end)
        months = pd.date_range(built.period.start, built.period.end, freq="MS")
        e = baseline.expected_sum(series, months, breaks=[b.month for b in m.breaks],
                                  stock=m.is_stock())
        assert s.expect.ok == e.ok, m.code
        now = float(s.cells.loc["period", "antal"])
        if built.kind == "manad":  # the month is the same published cell as the series'
            assert now == series[months].sum()
        row = tests.loc[(m.code, "period_mot_forvantat")]
        if e.ok:
            assert s.expect.mean == pytest.approx(e.mean)
            low, high = e.range()
            assert (row["undre"], row["ovre"]) == (low, high)
            assert f"förväntat {fmt.number(low)}–{fmt.number(high)}" in s.line
            if e.mean >= report.MIN_EXPECTED:
                assert row["p"] == pytest.approx(e.p_value(now))
        # The verdict is a change only if the report's correction kept it.
        assert s.change.significant == (row["slutsats"] in ("okar", "minskar"))


def test_one_correction_over_all_tests_decides_what_is_a_change(monthly, quarterly):
    for built in (monthly, quarterly):
        t = built.tests
        known = t["p"].notna()
        is_area = t["test"] == "omrade_mot_kommunen"
        n_area, n_measure = int((known & is_area).sum()), int((known & ~is_area).sum())
        weights = [report.AREA_SHARE / n_area if a else (1 - report.AREA_SHARE) / n_measure
                   for a in is_area]
        kept = notable.holm(list(t["p"]), report.ALPHA, weights)
        called = t["slutsats"].isin(["okar", "minskar", "över", "under"])
        assert kept == list(called)
        # Each kept area is named in the text, each other area is not.
        for s in built.sections:
            named = set(s.flagged.loc[s.flagged["flagga"] == "över", "namn"]) \
                if len(s.flagged) else set()
            for f in s.findings:
                if f.tier == report.TIER_AREAS:
                    assert all(n in f.text for n in named)


def test_no_p_values_in_the_text_but_in_the_tests_table(monthly, quarterly):
    for built in (monthly, quarterly):
        assert not re.search(r"\bp\s*[=<]", built.summary)
        assert built.tests["p"].notna().sum() > 10
        assert method.LINK in built.summary


def test_nothing_beyond_the_expected_is_one_line():
    text = report.summary_text("mars 2026", [], [], "manad")
    assert "- Inget utöver det väntade denna månad." in text.splitlines()
    quiet = report.Finding("kia", report.TIER_QUALITY, 0.5, "En kvalitetsnotering.")
    text = report.summary_text("kvartal 1 2026", [quiet], [], "kvartal")
    assert "- Inget utöver det väntade detta kvartal." in text.splitlines()
    loud = report.Finding("kia", report.TIER_CHANGE, 3.0, "Hot och våld: en ökning.")
    assert "Inget utöver" not in report.summary_text("mars 2026", [loud], [], "manad")


def test_occupied_nights_are_a_stock_not_tested_as_events(monthly, quarterly):
    for built in (monthly, quarterly):
        akut = next(s for s in built.sections if s.measure.code == "akutboende")
        assert akut.stock and akut.measure.is_stock()
        assert akut.change12.verdict == "bestand" and akut.change12.p is None
        assert "ett bestånd" in akut.line and "testas inte som enskilda händelser" in akut.line
        row = built.tests[(built.tests["matt"] == "akutboende")
                          & (built.tests["test"] == "rullande_12_mot_12_fore")]
        assert row["p"].isna().all()
        # Its range comes from its own history's spread.
        assert akut.expect.ok and akut.expect.phi >= 1


def test_no_kia_record_or_comparison_across_the_2024_break(demo, quarterly):
    kia = next(s for s in quarterly.sections if s.measure.code == "kia")
    assert not any("sedan januari 2019" in f.text for f in quarterly.findings)
    assert "sedan januari 2019" not in quarterly.summary
    # A record, if ever stated, is counted from the break, not from the series start.
    cfg, counts, *_ = demo
    rows, _ = aggregate.apply_filters(counts["kia"], kia.measure, aggregate.Filters())
    since_break = report._record(rows, kia.measure, quarterly.period,
                                 pd.Timestamp("2024-01-01"), cfg.threshold)
    assert since_break is None or since_break.since >= pd.Timestamp("2024-01-01")
    # Just after the break: no range, no 12-month comparison, and the text says so.
    early = _build(demo, "manad", "2024-09")
    kia_early = next(s for s in early.sections if s.measure.code == "kia")
    assert kia_early.change.verdict == "avbrott" and kia_early.change12.verdict == "avbrott"
    assert "serien bröts januari 2024" in kia_early.line
    assert any("serien bröts januari 2024" in f.text for f in kia_early.findings)


def test_the_actions_effect_is_followed_per_half_year_and_shows_its_rebound(demo, monthly):
    cfg, counts, population, actions = demo
    row = monthly.effect.iloc[0]
    assert row["omrade"] == ACTION_AREA
    action = next(a for a in actions if a.titel == row["titel"])
    measure = cfg.catalogue.measure("orosanmalningar")
    ind = action.indikatorer[0]
    followed = effect_views.follow(cfg, counts["orosanmalningar"], population, measure, action,
                                   ind, monthly.period.end)
    halves = followed.halfyears
    assert len(halves) >= 4 and list(halves["fran"])[0] == pd.Timestamp("2024-09-01")
    # The course: the lowest half-year is not the last one, and the last is above it.
    lowest = halves["kvot"].idxmin()
    assert lowest < halves.index[-1] and halves["kvot"].iloc[-1] > halves["kvot"].min()
    # Each half-year is the estimate from its own published cells, widened by phi.
    hw = effect.halfyears(action.start, monthly.period.end)[0]
    cells = effect_views.publish(effect.cells(counts["orosanmalningar"], population, measure,
                                              action.postnummer, hw, effect_views.filters_of(
                                                  action, ind, measure)), cfg.threshold)
    c = {(r.omrade, r.period): r for r in cells.itertuples()}
    est = effect.estimate(c["atgard", "fore"].antal, c["atgard", "efter"].antal,
                          c["ovriga", "fore"].antal, c["ovriga", "efter"].antal,
                          c["atgard", "fore"].befolkning, c["atgard", "efter"].befolkning,
                          c["ovriga", "fore"].befolkning, c["ovriga", "efter"].befolkning,
                          followed.phi, 0.0, hw.after.months)
    assert halves["kvot"].iloc[0] == round(est.kvot, 2)
    assert halves["ki_lag"].iloc[0] == round(est.ki_lag, 2)
    # The summary says the course and the placebo count, in words.
    text = next(f.text for f in monthly.findings if "Fältarbete" in f.text)
    assert "Per halvår sedan start:" in text and followed.text in text
    assert "Så ofta ger slumpen en lika stor skillnad" in text
    assert row["forlopp_kort"] == followed.short and followed.short.count("→") >= 3
    k, n = effect.as_large(row["kvot"], followed.placebos)
    assert f"{k} av {n} jämförelser" in text


def test_the_interval_is_widened_by_the_pre_periods_overdispersion(monthly):
    row = monthly.effect.iloc[0]
    assert row["spridning"] >= 1
    poisson = effect.estimate(100, 60, 1000, 1000, 1000, 1000, 10000, 10000)
    wide = effect.estimate(100, 60, 1000, 1000, 1000, 1000, 10000, 10000, phi=2.0)
    assert wide.kvot == poisson.kvot
    assert (wide.ki_hog / wide.ki_lag) == pytest.approx((poisson.ki_hog / poisson.ki_lag)
                                                        ** (2 ** 0.5))


def test_noise_var_widens_every_range(demo, monthly):
    noisy = _build(demo, "manad", "2026-10", noise_var=25.0)
    for a, b in zip(monthly.sections, noisy.sections):
        if a.expect is not None and a.expect.ok:
            assert b.expect.var == pytest.approx(a.expect.var + 25.0)


def test_the_monthly_reports_2025_2026_state_only_what_the_demo_planted(demo):
    """Planted (tools/demo.py): three postnummer with higher levels of orosanmälningar (and
    somewhat of skadligt bruk, vräkningar), the action's fall in 974 42. Nothing else may be
    called a change."""
    for month in pd.date_range("2025-01-01", "2026-06-01", freq="MS"):
        built = _build(demo, "manad", f"{month:%Y-%m}")
        for f in built.changes:
            if f.tier == report.TIER_AREAS:
                named = set(re.findall(r"\d{3} \d{2}", f.text))
                assert named <= PLANTED_AREAS, (month, f.text)
            elif f.tier == report.TIER_ACTION:
                assert ACTION_AREA in f.text and "Minskningen" in f.text, (month, f.text)
            else:
                pytest.fail(f"{month:%Y-%m}: {f.text}")
        assert "sedan januari 2019" not in built.summary


def test_trend_charts_draw_the_expected_band_and_ring_months_outside(demo):
    from lagesbild.views import figures

    cfg, counts, population, _ = demo
    m = cfg.catalogue.measure("orosanmalningar")
    fig = figures.figure("trend", counts[m.code], population, m, cfg,
                         figures.default_period("trend", pd.Timestamp("2026-10-01")))
    t = fig.table.dropna(subset=[figures.BAND_HIGH])
    assert len(t) >= 30 and "Förväntat intervall (99 %)" in fig.band_note
    for count, low, high, out in zip(t["Antal"], t[figures.BAND_LOW], t[figures.BAND_HIGH],
                                     t[figures.OUTSIDE]):
        if pd.isna(count):
            continue
        assert out == ("över" if count > high else "under" if count < low else "")
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in fig.chart.to_dict()["layer"]]
    assert "area" in marks
    # KIA just after its break: a band within the old series, none across the break, and the
    # caption says why.
    kia = cfg.catalogue.measure("kia")
    early = figures.figure("trend", counts["kia"], population, kia, cfg,
                           figures.default_period("trend", pd.Timestamp("2024-12-01")))
    after = early.table["Månad"] >= pd.Timestamp("2024-01-01")
    assert early.table.loc[after, figures.BAND_HIGH].isna().all()
    assert early.table.loc[~after, figures.BAND_HIGH].notna().any()
    assert "serien bröts januari 2024" in early.band_note
