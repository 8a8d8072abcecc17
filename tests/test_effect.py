"""Did an action work: the ratio of rate ratios against hand-checked cases, the windows, the
published path (small areas say "too few"), and the demo action's verdict."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from lagesbild import fmt, store
from lagesbild.analysis import effect
from lagesbild.config import Config
from lagesbild.store import ingest, process
from lagesbild.views import effect as effect_views
from lagesbild.views import source
from lagesbild.release import publish

CFG = Config.from_env()


# --- the estimate, by hand ----------------------------------------------------------------

@pytest.mark.parametrize("counts, people, ratio, low, high, verdict", [
    # No change: same counts and populations before and after, in both groups.
    # se = sqrt(1/100 + 1/100 + 1/1000 + 1/1000) = 0.148324; exp(±1.96 se) = 0.7477, 1.3374
    ((100, 100, 1000, 1000), (1000, 1000, 10000, 10000), 1.0, 0.7477, 1.3374, "oklart"),
    # A real drop: the area halves while the rest stays. se = sqrt(0.016) = 0.126491;
    # 0.5 · exp(±0.247922) = 0.3902, 0.6407
    ((200, 100, 2000, 2000), (1000, 1000, 10000, 10000), 0.5, 0.3902, 0.6407, "minskning"),
    # The same drop in a small area: 8 → 5. se = sqrt(1/8 + 1/5 + 2/1000) = 0.571839;
    # 0.625 · exp(±1.120795) = 0.2038, 1.9170: cannot be told from chance.
    ((8, 5, 1000, 1000), (100, 100, 10000, 10000), 0.625, 0.2038, 1.9170, "oklart"),
    # A rise in the area while the rest falls: (150/100)/(900/1000) = 1.6667;
    # se = sqrt(1/100 + 1/150 + 1/1000 + 1/900) = 0.137032 → 1.2741, 2.1802
    ((100, 150, 1000, 900), (1000, 1000, 10000, 10000), 1.6667, 1.2741, 2.1802, "okning"),
])
def test_ratio_of_rate_ratios_by_hand(counts, people, ratio, low, high, verdict):
    est = effect.estimate(*counts, *people)
    assert est.kvot == pytest.approx(ratio, abs=1e-4)
    assert est.ki_lag == pytest.approx(low, abs=1e-4)
    assert est.ki_hog == pytest.approx(high, abs=1e-4)
    assert est.slutsats == verdict


def test_population_growth_counts_as_a_rate_change():
    # Same counts, but the area's population doubled: its rate halved.
    est = effect.estimate(200, 200, 2000, 2000, 1000, 2000, 10000, 10000)
    assert est.kvot == pytest.approx(0.5)


@pytest.mark.parametrize("counts, verdict", [((0, 5, 100, 100), "fa"),
                                            ((None, 5, 100, 100), "fa"),
                                            ((10, float("nan"), 100, 100), "fa")])
def test_missing_or_zero_counts_give_no_estimate(counts, verdict):
    est = effect.estimate(*counts, 100, 100, 1000, 1000)
    assert est.slutsats == verdict and math.isnan(est.kvot)


def test_verdicts_never_claim_the_action_caused_it():
    for code in ("minskning", "okning"):
        assert "andra förklaringar kan finnas" in effect.VERDICTS[code]
    assert effect.VERDICTS["oklart"] == "Går inte att skilja från slumpen ännu."


def test_windows_are_equally_long_and_at_most_a_year():
    w = effect.windows(date(2024, 9, 15), pd.Timestamp("2026-10-01"))
    assert (w.before.start, w.before.end) == (pd.Timestamp("2023-09-01"),
                                              pd.Timestamp("2024-08-01"))
    assert (w.after.start, w.after.end) == (pd.Timestamp("2024-09-01"),
                                            pd.Timestamp("2025-08-01"))
    short = effect.windows(date(2026, 8, 1), pd.Timestamp("2026-10-01"))
    assert short.after.months == 3 and short.before.start == pd.Timestamp("2026-05-01")
    ended = effect.windows(date(2024, 9, 1), pd.Timestamp("2026-10-01"), date(2024, 12, 31))
    assert ended.after.end == pd.Timestamp("2024-12-01") and ended.before.months == 4
    assert effect.windows(date(2027, 1, 1), pd.Timestamp("2026-10-01")) is None


def test_published_cells_hide_small_counts_and_the_verdict_says_too_few():
    cells = pd.DataFrame({"omrade": ["atgard", "atgard", "ovriga", "ovriga"],
                          "period": ["fore", "efter", "fore", "efter"],
                          "antal": [6, 3, 900, 910],
                          "befolkning": [80, 80, 9000, 9100]})
    safe = effect_views.publish(cells, 5)
    assert safe.loc[1, "skyddad"] and pd.isna(safe.loc[1, "antal"])
    # A published rate times its population gives the published count, never the exact one.
    assert all(abs(r * p / 1000 - n) < 0.1 for r, p, n in zip(
        safe["per_1000"], safe["befolkning"], safe["antal"]) if not pd.isna(n))


# --- the demo action ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo():
    engine = publish.open_store(CFG)
    counts = source.all_counts(engine, CFG)
    from lagesbild.analysis import aggregate
    latest = aggregate.latest_complete_month(counts["orosanmalningar"])
    return engine, counts, store.read_population(engine), latest


def test_the_demo_action_is_loaded_with_the_demo(demo):
    engine = demo[0]
    found = process.actions(engine)
    demo_action = [a for a in found if a.postnummer == ("97442",)]
    assert demo_action and demo_action[0].start == date(2024, 9, 1)
    assert demo_action[0].indikatorer[0].matt == "orosanmalningar"
    assert process.history(engine, demo_action[0].id)["handelse"].tolist()[0] == "registrerad"


def test_the_demo_action_comes_out_as_a_clear_decrease(demo):
    engine, counts, population, latest = demo
    action = next(a for a in process.actions(engine) if a.postnummer == ("97442",))
    table = effect_views.table(CFG, counts, population, [action], latest)
    row = table.iloc[0]
    assert row["kod"] == "minskning", row.to_dict()
    assert row["ki_hog"] < 0.9  # clearly, not just barely
    assert row["slutsats"].startswith("Minskningen är större än slumpen brukar ge")
    assert (row["fore"], row["efter"]) == ("2023-09 – 2024-08", "2024-09 – 2025-08")
    assert row["per_1000_efter"] < row["per_1000_fore"]
    assert table.attrs["skyddad_troskel"] == CFG.threshold


def test_published_and_exact_agree_closely_on_the_demo_action(demo):
    engine, counts, population, latest = demo
    action = next(a for a in process.actions(engine) if a.postnummer == ("97442",))
    safe = effect_views.table(CFG, counts, population, [action], latest).iloc[0]
    exact = effect_views.table(CFG, counts, population, [action], latest, exact=True).iloc[0]
    assert safe["kod"] == exact["kod"]
    assert safe["kvot"] == pytest.approx(exact["kvot"], abs=0.03)


# --- the command line -----------------------------------------------------------------------

def _run(*argv) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from lagesbild.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_atgarder_prints_each_action_and_indicator_with_its_verdict(demo):
    import csv
    import io

    code, out, err = _run("atgarder")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"id", "titel", "omrade", "start", "matt", "fore", "efter", "kvot", "ki_lag",
            "ki_hog", "slutsats"} <= set(rows[0])
    row = next(r for r in rows if r["omrade"] == "974 42")
    assert row["matt"] == "orosanmalningar" and float(row["ki_hog"]) < 1
    assert row["slutsats"].startswith("Minskningen är större än slumpen brukar ge")
    assert "EXAKTA" not in err


def test_atgarder_exakt_warns(demo):
    code, out, err = _run("atgarder", "--exakt")
    assert code == 0 and "EXAKTA VÄRDEN" in err and "974 42" in out


def test_moten_counts_observations_decisions_and_open_items(demo):
    import csv
    import io

    engine = demo[0]
    for m in process.meetings(engine, "avstamning"):
        if m.is_open:
            process.close_meeting(engine, m.id, "test")
    meeting = process.open_meeting(engine, "avstamning", date(2026, 11, 5), "test")
    process.add_item(engine, meeting, "observation", "Oro i centrum", "test")
    process.add_item(engine, meeting, "beslut", "Fältarbete i centrum", "test",
                     action=process.Action("Fältarbete i centrum", date(2026, 11, 5),
                                           (process.Indicator("orosanmalningar"),),
                                           postnummer=("97231",)))
    done = process.add_item(engine, meeting, "samverkan", "Skolan", "test", aktor="Skolan")
    process.close_item(engine, done, meeting)
    code, out, err = _run("moten")
    assert code == 0, err
    row = next(r for r in csv.DictReader(io.StringIO(out)) if int(r["id"]) == meeting)
    assert (row["observationer"], row["beslut"], row["samverkan"], row["oppna_punkter"]) == \
        ("1", "1", "1", "2")
    assert row["status"] == "pågår"
    process.close_meeting(engine, meeting, "test")


def test_a_closed_meeting_takes_no_more_items(demo):
    engine = demo[0]
    meeting = process.open_meeting(engine, "analys", date(2026, 11, 6), "test")
    process.close_meeting(engine, meeting, "test")
    with pytest.raises(Exception, match="Mötet är stängt"):
        process.add_item(engine, meeting, "observation", "För sent", "test")


def test_an_action_change_is_kept_in_its_history(demo):
    engine = demo[0]
    new = process.Action("Läxhjälp", date(2026, 1, 1), (process.Indicator("orosanmalningar"),),
                         postnummer=("97345",))
    action_id = process.add_action(engine, new, "anna")
    from dataclasses import replace
    changed = process.update_action(engine, action_id, replace(new, status="avslutad"), "bo")
    assert changed == {"status": ["pagar", "avslutad"]}
    hist = process.history(engine, action_id)
    assert hist["handelse"].tolist() == ["registrerad", "avslutad"]
    assert hist["who"].tolist() == ["anna", "bo"]
    with pytest.raises(Exception, match="inget postnummer"):
        process.add_action(engine, replace(new, postnummer=("123",)), "anna")


def test_a_whole_municipality_action_and_a_measure_without_areas_say_why_there_is_no_verdict(
        demo):
    engine, counts, population, latest = demo
    everywhere = process.Action("Kampanj", date(2025, 1, 1),
                                (process.Indicator("orosanmalningar"),))
    code = next(c for c, m in CFG.catalogue.measures.items()
                if "postnummer" not in m.dimension_columns)
    local = process.Action("Stöd", date(2025, 1, 1), (process.Indicator(code),),
                           postnummer=("97442",))
    table = effect_views.table(CFG, counts, population, [everywhere, local], latest)
    assert table["kod"].tolist() == ["ingen_kontroll", "ingen_postnummer"]
    assert table["kvot"].isna().all()


def test_the_page_table_shows_dashes_not_hidden_counts_where_nothing_was_compared(demo):
    engine, counts, population, latest = demo
    everywhere = process.Action("Kampanj", date(2025, 1, 1),
                                (process.Indicator("orosanmalningar"),))
    action = next(a for a in process.actions(engine) if a.postnummer == ("97442",))
    safe = effect_views.table(CFG, counts, population, [everywhere, action], latest)
    shown = effect_views.display(safe, CFG, CFG.threshold)
    assert shown.loc[0, "Antal före"] == "–" and shown.loc[0, "Kvot"] == "–"
    assert shown.loc[1, "Kvot"] == fmt.number(safe.loc[1, "kvot"], 2)
    assert 0.4 < safe.loc[1, "kvot"] < 0.65 and "," in shown.loc[1, "Per 1 000 före"]
    assert list(shown.columns[:6]) == ["Åtgärd", "Område", "Mått", "Slutsats", "Kvot",
                                       "95 % KI"]


def test_an_indicator_narrowed_to_a_category_counts_only_that_category(demo):
    engine, counts, population, latest = demo
    action = next(a for a in process.actions(engine) if a.postnummer == ("97442",))
    from dataclasses import replace
    school = replace(action, indikatorer=(process.Indicator(
        "orosanmalningar", (("anmalare", ("skola",)),)),))
    whole = effect_views.table(CFG, counts, population, [action], latest, exact=True).iloc[0]
    part = effect_views.table(CFG, counts, population, [school], latest, exact=True).iloc[0]
    assert part["urval"] == "anmalare=skola"
    assert 0 < part["antal_fore"] < whole["antal_fore"]


def test_evictions_count_applications_not_every_stage(demo):
    engine, counts, population, latest = demo
    measure = CFG.catalogue.measure("vrakningar")
    ind = process.Indicator("vrakningar")
    action = process.Action("Tidiga hembesök", date(2025, 1, 1), (ind,), postnummer=("97442",))
    filters = effect_views.filters_of(action, ind, measure)
    assert dict(filters.categories) == dict(measure.headline_filter)


def test_a_trend_with_actions_on_it_exports_as_an_image(demo):
    from lagesbild.present import export
    from lagesbild.views import figures

    engine, counts, population, latest = demo
    measure = CFG.catalogue.measure("orosanmalningar")
    marks = effect_views.markers(process.actions(engine), "orosanmalningar")
    fig = figures.figure("trend", counts["orosanmalningar"], population, measure, CFG,
                         figures.default_period("trend", latest), markers=marks)
    assert "Åtgärd: Fältarbete och skolsamverkan (974 42)" in fig.notes["Anmärkning"].tolist()
    assert export.png(fig.chart, fig.caption)[:4] == b"\x89PNG"
    assert "Fältarbete och skolsamverkan" in export.svg(fig.chart, fig.caption)


def test_priority_ranks_published_flags_and_exports(demo):
    from lagesbild.analysis import aggregate
    from lagesbild.analysis import priority as ranking
    from lagesbild.present import export
    from lagesbild.views import priority

    engine, counts, population, latest = demo
    p = priority.view(CFG, counts, population, aggregate.Period.rolling12(latest),
                      "postnummer", {}, None, process.actions(engine, open_only=True))
    ranked = p.ranked
    assert (ranked["over"].diff().dropna() <= 0).all()  # most flagged first
    # The counts behind a rank are the published ones: no flag on a hidden cell.
    assert p.cells.loc[p.cells["per_1000"].isna(), "flagga"].isna().all()
    shown = priority.display(p, "postnummer")
    assert export.xlsx(shown, export.Caption("Prioritering", "2025"))[:2] == b"PK"
    # Ranking by hand: two measures above beat one; strength breaks the tie.
    a = pd.DataFrame({"kod": ["1", "2", "3"], "per_1000": [30.0, 20.0, 12.0],
                      "flagga": ["över", "över", "inom"], "tecken": ["över", "över", "över"]})
    b = pd.DataFrame({"kod": ["1", "2", "3"], "per_1000": [5.0, 9.0, 5.0],
                      "flagga": ["inom", "över", "inom"], "tecken": ["inom", "över", "inom"]})
    out = ranking.rank({"a": a, "b": b}, {"a": 10.0, "b": 5.0})
    assert out["kod"].tolist() == ["2", "1", "3"]
    assert out.set_index("kod").loc["2", "styrka"] == pytest.approx(2.0 + 1.8)
    assert out.set_index("kod").loc["3", "tecken_over"] == 1
