"""The pages of the areas of the administration, through AppTest on the demo data: every page
runs, its filters change the numbers and land in the URL, and a link reopens the view."""

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from lagesbild.config import Config

TIMEOUT = 90  # the first run builds the store from the demo files
PAGES = {
    "app_pages/barn.py": ["orosanmalningar"],
    "app_pages/vald.py": ["vald_i_nara_relation"],
    "app_pages/beroende.py": ["skadligt_bruk"],
    "app_pages/ekonomi.py": ["vrakningar", "skuldradgivning", "akutboende"],
    "app_pages/personal.py": ["kia"],
}


KINDS = ("trend", "kon", "ar", "fordelning", "heatmap")


def _page(path: str, **params) -> AppTest:
    """The page with every chart's table opened (they are drawn only when opened)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    for code in Config.from_env().catalogue.measures:
        for kind in KINDS:
            at.session_state[f"{code}_{kind}_siffror"] = True
    at.run()
    return at.switch_page(path).run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _charts(at: AppTest) -> list:
    return at.get("vega_lite_chart")


@pytest.mark.parametrize("path", list(PAGES))
def test_every_measure_page_shows_headline_chart_and_table(path):
    at = _page(path)
    _ok(at)
    assert any("Demodata" in w.value for w in at.warning)
    # Only the open tab runs: one table behind its chart (the other charts are Kolada's).
    assert len(_charts(at)) >= 1 and len(at.dataframe) == 1
    assert at.dataframe[0].value.columns[0] == "Månad"
    assert any(m.label == "oktober 2026" for m in at.metric)
    assert any(m.label == "Rullande 12 mån" for m in at.metric)


def test_the_numbers_behind_a_chart_are_drawn_when_opened():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.switch_page("app_pages/barn.py").run()
    _ok(at)
    assert "Siffrorna bakom diagrammet" in [e.label for e in at.expander]
    assert not at.dataframe  # folded: not formatted nor sent on every filter change
    at.session_state["orosanmalningar_trend_siffror"] = True  # what a click on it sets
    at.run()
    _ok(at)
    assert len(at.dataframe) == 1 and at.dataframe[0].value.columns[0] == "Månad"


@pytest.mark.parametrize("view, first_column", [
    ("År för år", "Månad"), ("Fördelning", "Åldersgrupp"), ("Månad × kategori", "Månad")])
def test_each_chart_tab_opens_from_the_url(view, first_column):
    at = _page("app_pages/vald.py", vald_i_nara_relation_vy=view)
    _ok(at)
    assert len(_charts(at)) >= 1 and len(at.dataframe) == 1
    assert at.dataframe[0].value.columns[0] == first_column
    assert at.query_params["vald_i_nara_relation_vy"] == view


def test_children_page_sex_side_by_side_and_category_filter_in_the_url():
    at = _page("app_pages/barn.py", orosanmalningar_vy="Fördelning")
    labels = [m.label for m in at.metric]
    assert "Flickor, 12 mån" in labels and "Pojkar, 12 mån" in labels
    breakdown = at.dataframe[0].value
    assert list(breakdown.columns[:3]) == ["Åldersgrupp", "Kön", "Antal"]
    assert set(breakdown["Kön"]) == {"Flickor", "Pojkar"}
    everyone = _metric(at, "Rullande 12 mån")

    at.multiselect(key="orosanmalningar_orsak").set_value(["skolfranvaro"]).run()
    _ok(at)
    assert _metric(at, "Rullande 12 mån") != everyone
    assert at.query_params["orosanmalningar_orsak"] in ("skolfranvaro", ["skolfranvaro"])

    at.segmented_control(key="orosanmalningar_per").set_value("anmalare").run()
    _ok(at)
    assert at.dataframe[0].value.columns[0] == "Anmälare"
    assert at.query_params["orosanmalningar_per"] == "anmalare"


def test_sidebar_filter_applies_and_a_link_reopens_page_filters():
    at = _page("app_pages/barn.py", kon="K", orosanmalningar_orsak="skolfranvaro",
               orosanmalningar_per="anmalare", orosanmalningar_vy="Fördelning")
    _ok(at)
    assert at.session_state["orosanmalningar_orsak"] == ["skolfranvaro"]
    assert at.session_state["orosanmalningar_per"] == "anmalare"
    # One sex chosen: no side-by-side cards, and the breakdown is not split.
    assert not any(m.label.startswith("Pojkar") for m in at.metric)
    assert "Kön" not in at.dataframe[0].value.columns
    assert at.query_params["kon"] == "K"


def test_economy_page_stage_variable_and_current_housing_status():
    at = _page("app_pages/ekonomi.py")
    _ok(at)
    applications = at.metric[0].value
    at.selectbox(key="vrakningar_skede").set_value("verkstalld").run()
    _ok(at)
    assert at.metric[0].value != applications
    assert at.query_params["vrakningar_skede"] == "verkstalld"
    at.selectbox(key="vrakningar_storhet").set_value("berorda_barn").run()
    _ok(at)
    assert any(m.value == "**Antal berörda barn – Verkställd**" for m in at.markdown)

    at = _page("app_pages/ekonomi.py", delmatt="Akutboende")
    _ok(at)
    occupancy = _metric(at, "Beläggningsgrad")
    assert occupancy.endswith("%") and "," in occupancy
    status = at.dataframe[0].value
    assert list(status.columns) == ["Uppgift", "Kvinnor", "Män", "Totalt"]
    assert len(_charts(at)) == 1


def test_staff_safety_page_notes_the_series_break():
    at = _page("app_pages/personal.py")
    _ok(at)
    assert any("Serieavbrott" in c.value and "januari 2024" in c.value for c in at.caption)


def test_presentation_mode_lands_in_the_url():
    at = _page("app_pages/vald.py")
    at.toggle(key="presentationslage").set_value(True).run()
    _ok(at)
    assert at.query_params["presentation"] == "1"
    assert _charts(at)
    # Charts go full width: the table moves into an expander under it, and the page's own
    # choices into one above it, so the chart comes first under the title.
    assert [e.label for e in at.expander][:2] == ["Val för diagrammet",
                                                  "Siffrorna bakom diagrammet"]
    assert any("Urval:" in m.value for m in at.markdown)  # the filters, as text
    assert at.button(key="avsluta_presentation").label == "Avsluta presentationsläge"
    at.button(key="avsluta_presentation").click().run()
    assert "presentation" not in at.query_params
    at.toggle(key="presentationslage").set_value(True).run()  # and on again
    assert at.query_params["presentation"] == "1"


def test_girls_and_boys_in_one_chart_and_the_trend_table_newest_first():
    at = _page("app_pages/barn.py")
    assert "Flickor och pojkar" in [t.label for t in at.tabs]
    import pandas as pd

    from lagesbild import store
    from lagesbild.analysis import aggregate
    from lagesbild.config import Config
    from lagesbild.release import publish
    from lagesbild.views import figures, source

    cfg = Config.from_env()
    engine = publish.open_store(cfg)
    m = cfg.catalogue.measure("orosanmalningar")
    counts, population = source.counts(engine, cfg, m), store.read_population(engine)
    end = pd.Timestamp("2025-10-01")
    trend = figures.figure("trend", counts, population, m, cfg,
                           figures.default_period("trend", end))
    months = trend.table["Månad"]
    assert months.iloc[0] == end and months.is_monotonic_decreasing
    assert months.min() == figures.default_period("trend", end).start  # the chart's months
    both = figures.figure("kon", counts, population, m, cfg,
                          figures.default_period("kon", end))
    assert list(both.table.columns) == ["Månad", "Flickor, antal", "Pojkar, antal",
                                        "Flickor, rullande 12 mån", "Pojkar, rullande 12 mån"]
    assert both.table["Månad"].iloc[0] == end
    girls = figures.figure("trend", counts, population, m, cfg,
                           figures.default_period("trend", end),
                           filters=aggregate.Filters(kon=("K",)))
    same = girls.table.set_index("Månad")["Antal"]
    assert (both.table.set_index("Månad")["Flickor, antal"] == same.reindex(
        both.table["Månad"]).to_numpy()).all()  # the same published cells as the filter


def test_a_measure_without_data_gets_a_plain_message(monkeypatch):
    import pandas as pd

    from lagesbild.config import Config
    from webapp import data, measure, state

    shown = []
    monkeypatch.setattr(measure.st, "info", lambda text, **_: shown.append(text))
    monkeypatch.setattr(data, "config", Config)
    empty = data.Data({"kia": pd.DataFrame(columns=["month", "storhet", "antal"])},
                    pd.DataFrame(), pd.DataFrame(), ())
    measure.section(empty, state.Selection(None, None), "kia", heading=False)
    assert shown[0] == "Det finns inga inlästa uppgifter om hot och våld mot personal ännu."


def test_the_girls_rate_on_the_page_is_per_1000_girls():
    import pandas as pd

    from lagesbild import store
    from lagesbild.analysis import aggregate
    from lagesbild.config import Config
    from lagesbild.release import disclosure, publish
    from lagesbild.views import source

    cfg = Config.from_env()
    engine = publish.open_store(cfg)
    measure = cfg.catalogue.measure("orosanmalningar")
    counts, population = source.counts(engine, cfg, measure), store.read_population(engine)
    at = _page("app_pages/barn.py", kon="K")
    _ok(at)
    month = pd.Timestamp(aggregate.latest_complete_month(counts))
    by_sex = aggregate.summary(counts, population, measure, aggregate.Period.rolling12(month),
                               ["kon"])
    # The girls' 12 months are one cell: the page shows what summary --per kon publishes.
    girls = disclosure.protect(by_sex, cfg.threshold).set_index("kon").loc["K", "per_1000"]
    assert _metric(at, "Per 1 000, 12 mån") == f"{girls:.1f}".replace(".", ",")
    exact = by_sex.set_index("kon").loc["K", "per_1000"]
    assert abs(girls - exact) < 1.0  # near the exact 225,5 (not 108,5 per 1 000 children)
