"""Reports (issue 15): the written summary, the deck, the PDF, the newsletter and the EST
note, opened with their own libraries and checked against the engine's published numbers."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pandas as pd
import pytest
from scipy.stats import binomtest

from lagesbild import cli, fmt
from lagesbild.analysis import aggregate, notable
from lagesbild.cli import reports as cli_reports
from lagesbild.config import Config
from lagesbild.errors import ConfigError, UnknownError
from lagesbild.present import document, slides
from lagesbild.release import publish
from lagesbild.store import ingest, process
from lagesbild.views import figures, overview, report, report_files

HOSTILE = "<script>alert(1)</script> **fet** [klicka](https://evil.example) <img src=x>"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('rapport') / 'demo.sqlite'}"
    cfg = Config(db_url=url)
    engine = publish.open_store(cfg, create=True)
    return cfg, engine


@pytest.fixture(scope="module")
def monthly(demo):
    cfg, engine = demo
    return cli_reports.report_inputs(cfg, engine, "manad", "2026-10", "ledningsgrupp")


@pytest.fixture(scope="module")
def quarterly(demo):
    cfg, engine = demo
    return cli_reports.report_inputs(cfg, engine, "kvartal", "2026-Q3", "namnd")


@pytest.fixture(scope="module")
def deck(demo, monthly):
    cfg, _ = demo
    built, inputs = monthly
    return report_files.write(built, "pptx", cfg, inputs)


@pytest.fixture(scope="module")
def pdf(demo, monthly):
    cfg, _ = demo
    built, inputs = monthly
    return report_files.write(built, "pdf", cfg, inputs)


# --- the statistics -----------------------------------------------------------------------

@pytest.mark.parametrize("now, before, verdict", [
    (10, 8, "fa"),  # too few to say anything
    (30, 22, "slump"),
    (120, 70, "okar"),
    (40, 80, "minskar"),
    (None, 50, "okant"),  # hidden ("<5") or no data
    (float("nan"), 50, "okant"),
])
def test_compare_calls_a_change_significant_only_when_the_exact_test_does(now, before, verdict):
    change = notable.compare(now, before)
    assert change.verdict == verdict
    if verdict in ("slump", "okar", "minskar"):
        p = binomtest(now, now + before, 0.5).pvalue
        assert change.p == pytest.approx(p)
        assert change.significant == (p < 0.05)


def test_exposure_changes_the_test():
    # Twice the population: 100 against 50 is what one expects, not an increase.
    assert notable.compare(100, 50, exposure_ratio=2.0).verdict == "slump"


def test_p_values_under_five_percent_never_read_as_0_050():
    assert report.number_p(0.0496) == "p = 0,0496"
    assert report.number_p(0.463) == "p = 0,463"
    assert report.number_p(0.0001) == "p < 0,001"


# --- the summary ----------------------------------------------------------------------------

def test_summary_names_the_planted_patterns(quarterly):
    built, _ = quarterly
    text = built.summary
    # The action area's fall.
    assert "Fältarbete och skolsamverkan" in text
    assert "Minskningen är större än slumpen" in text
    # Each measure against its expected range (issue 22), in words, without p-values.
    assert re.search(r"Skadligt bruk: [\d\u00a0]+ anmälningar i kvartal 3 2026 \(förväntat "
                     r"[\d\u00a0]+–[\d\u00a0]+;", text)
    assert "p = " not in text
    # The flagged areas with higher report rates.
    for area in ("974 33", "974 52", "973 45"):
        assert area in text
    assert text.startswith("## Det viktigaste, kvartal 3 2026")


def test_no_change_is_called_significant_unless_the_published_counts_say_so(monthly,
                                                                             quarterly):
    for built, _ in (monthly, quarterly):
        for s in built.sections:
            for change, now_w in ((s.change, "period"), (s.change12, "rullande")):
                if change.verdict in ("avbrott", "okant", "fa", "bestand", "kort"):
                    continue
                assert change.now == s.cells.loc[now_w, "antal"]  # the published count
            if s.change.p is not None:
                assert s.change.before == pytest.approx(s.expect.mean)  # against the expected
            for f in s.findings:
                if "utöver det väntade" in f.text and f.matt == s.measure.code \
                        and f.tier != report.TIER_AREAS:
                    assert f.tier == report.TIER_CHANGE
                    assert s.change.significant or s.change12.significant
        lines = built.summary.splitlines()
        for s in built.sections:
            line = next(x for x in lines if x == f"- {s.line}")
            if not s.change.significant:
                assert "utöver det väntade" not in line


def test_every_number_equals_the_engine_for_the_same_view(demo, monthly):
    """The month, the same month last year and the rolling 12 months are the overview card's
    published cells; the trend chart's month is the same cell."""
    cfg, _ = demo
    built, inputs = monthly
    month = pd.Timestamp("2026-10-01")
    cards = {c.measure: c for c in overview.cards(inputs.counts, cfg, month,
                                                  aggregate.Filters())}
    for s in built.sections:
        card = cards[s.measure.code]
        t = cfg.threshold
        assert s.shown("period", t) == card.value
        assert s.shown("period_fg", t) == card.last_year
        assert s.shown("rullande", t) == card.rolling12
        assert f"{card.value} " in s.line and f"{card.last_year} ett år tidigare)" in s.line
        fig = figures.figure("trend", inputs.counts[s.measure.code], inputs.population,
                             s.measure, cfg, figures.default_period("trend", month))
        row = fig.table[fig.table["Månad"] == month]
        value = row["Antal"].iloc[0]
        assert fmt.count(value, pd.isna(value), t) == card.value
    # Every number in a summary line is one of the section's published figures, its expected
    # range, a percentage or a rate: none is an unprotected count.
    for s in built.sections:
        shown = {s.shown(w, cfg.threshold) for w in ("period", "period_fg")}
        shown |= set(s.expected_range().split("–")) if s.expected_range() else set()
        numbers = re.findall(r"\d[\d\u00a0]*(?:,\d+)?", s.line.split(":", 1)[1])
        counts = [n for n in numbers if "," not in n and n not in ("2026",)]
        assert set(counts) <= {v.lstrip("<") for v in shown} | {"0"}, (s.line, counts)


def test_a_quarter_is_the_engines_summary_for_the_quarter(demo, quarterly):
    """The quarter's published count is the cell ``aggregate.summary`` makes for the same
    months and filters, published by ``disclosure.protect``."""
    from lagesbild.release import disclosure, publish

    cfg, _ = demo
    built, inputs = quarterly
    for s in built.sections:
        rows, _ = aggregate.apply_filters(inputs.counts[s.measure.code], s.measure,
                                          aggregate.Filters(
                                              categories=s.measure.headline_filter))
        for window, period in (("period", built.period),
                               ("period_fg", built.period.shift_years(-1))):
            table = aggregate.summary(rows, inputs.population.iloc[0:0], s.measure, period, [])
            safe = disclosure.protect(table[["antal"]], cfg.threshold,
                                      rate_cols=())
            expected = fmt.count(safe["antal"].iloc[0], bool(safe["skyddad"].iloc[0]),
                                 cfg.threshold)
            assert s.shown(window, cfg.threshold) == expected, (s.measure.code, window)


def test_flagged_areas_are_the_maps(demo, monthly):
    from lagesbild.views import areas as area_views

    cfg, _ = demo
    built, inputs = monthly
    oros = next(s for s in built.sections if s.measure.code == "orosanmalningar")
    view = area_views.view(cfg, inputs.counts["orosanmalningar"], inputs.population,
                           oros.measure, "rullande", "2026-10", "per_1000", "postnummer",
                           aggregate.Filters(categories=oros.measure.headline_filter),
                           inputs.layer, inputs.postorter, None)
    over = view.safe[view.safe["flagga"] == "över"]
    # The report names an area only if it survives the report's correction with its
    # overdispersion: a subset of the map's (Poisson, 99,8 %) flags, from the same table.
    named = set(oros.flagged.loc[oros.flagged["flagga"] == "över", "kod"])
    assert named and named <= set(over["kod"])
    assert view.kommun_rate == oros.kommun_rate


# --- the files ------------------------------------------------------------------------------

def test_deck_has_every_slide_chart_map_note_and_demo_mark(monthly, deck):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    built, inputs = monthly
    prs = Presentation(io.BytesIO(deck))
    assert round(prs.slide_width / prs.slide_height, 2) == round(16 / 9, 2)
    # A map only where areas lie above the municipality: a map with nothing to say is left out.
    maps = [s for s in built.sections
            if len(s.flagged) and (s.flagged["flagga"] == "över").any()]
    titles = [s.shapes.title.text if s.shapes.title is not None else "" for s in prs.slides]
    assert len(prs.slides) == 2 + len(built.sections) + len(maps) + len(built.effect) + 1
    assert 10 <= len(prs.slides) <= 18
    assert titles[1] == "Det viktigaste i oktober 2026"
    assert titles[-1] == "Så har vi räknat"
    trends = {report_files.headline(built, s): s for s in built.sections}
    chart_slides = map_slides = 0
    for slide, title in zip(prs.slides, titles):
        texts = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        assert "Demodata" in texts, title
        for shape in slide.shapes:  # nothing placed off the 16:9 slide
            if shape.left is not None:
                assert shape.left >= 0 and shape.left + shape.width <= prs.slide_width, title
                assert shape.top >= 0 and shape.top + shape.height <= prs.slide_height, title
        notes = slide.notes_slide.notes_text_frame.text
        if title in trends:
            chart_slides += 1
            assert sum(sh.has_chart for sh in slide.shapes) == 1, title
            value = trends[title].shown("period", 5)
            assert f"2026-10: {value}" in notes and "Publicerade" in notes
            assert value in texts  # the headline figure beside the chart
            assert re.search(r"p = 0,\d+|för få", notes)  # the test is in the notes
        elif "över kommunens nivå" in title:
            map_slides += 1
            pictures = [sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE]
            # A map whose areas are mostly hidden ("<5") is said, not shown.
            assert len(pictures) == (0 if "Kartan visas inte" in texts else 1), title
            assert "Publicerade tal per postnummer" in notes
    assert chart_slides == len(built.sections) and map_slides == len(maps)


def test_pdf_pages_numbers_date_sources_and_renders(pdf, tmp_path):
    import pypdfium2
    from PIL import Image, ImageStat
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages >= 10
    first = reader.pages[0].extract_text()
    assert "Lägesbild för ledningsgruppen, oktober 2026" in first
    assert "Demodata" in first
    for i, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"Sida {i} av {pages}" in text
        assert "Demodata" in text
        assert re.search(r"\d{4}-\d\d-\d\d", text)  # the date
    assert "Källor" in reader.pages[-1].extract_text()
    # Render every page to PNG (the reviewer looked at them); a chart page is not blank.
    doc = pypdfium2.PdfDocument(pdf)
    for i in range(len(doc)):
        image = doc[i].render(scale=1).to_pil()
        image.save(tmp_path / f"sida_{i + 1}.png")
    chart_page = Image.open(tmp_path / "sida_6.png").convert("L")
    assert ImageStat.Stat(chart_page).stddev[0] > 20


def test_newsletter_and_est_as_markdown_and_word(demo):
    from docx import Document as Word

    cfg, engine = demo
    for typ in ("nyhetsbrev", "est"):
        built, inputs = cli_reports.report_inputs(cfg, engine, "kvartal", "2026-Q3", typ)
        md = report_files.write(built, "md", cfg, inputs).decode()
        assert md.startswith(f"# {report.TYPES[typ]}, kvartal 3 2026")
        assert "Demodata" in md and "Källa" in md
        word = Word(io.BytesIO(report_files.write(built, "docx", cfg, inputs)))
        body = "\n".join(p.text for p in word.paragraphs)
        assert report.TYPES[typ] in body
        assert "Demodata" in word.sections[0].header.paragraphs[0].text
    assert "974 33 Luleå: orosanmälningar" in md  # EST: areas first
    with pytest.raises(UnknownError, match="finns inte som pptx"):
        report_files.check_format("nyhetsbrev", "pptx")


def test_edited_text_is_saved_with_the_meeting_and_hostile_text_is_escaped(demo):
    cfg, engine = demo
    meeting = process.open_meeting(engine, "avstamning", date(2026, 11, 12), "test",
                                   period_end=date(2026, 10, 1))
    process.add_item(engine, meeting, "observation", HOSTILE, "test")
    process.add_item(engine, meeting, "samverkan", "Fler kvällsaktiviteter", "test",
                     aktor="Kultur och fritid")
    process.close_meeting(engine, meeting, "test")
    edited = f"## Egen rubrik\n- Egen punkt om läget\n- {HOSTILE}"
    process.save_report_text(engine, meeting, edited, "strateg")
    try:
        built, inputs = cli_reports.report_inputs(cfg, engine, "manad", "2026-10", "ledningsgrupp")
        assert inputs.meeting.id == meeting
        assert built.text == edited and built.summary != edited
        md = report_files.write(built, "md", cfg, inputs).decode()
        assert "Egen punkt om läget" in md
        assert not re.search(r"(?<!\\)<(script|img)", md)  # every < escaped
        assert "](https://" not in md
        assert "\\<script\\>" in md and "\\*\\*fet\\*\\*" in md
        text = report_files.write(built, "docx", cfg, inputs)
        assert b"<script>" not in text  # Word holds it as escaped XML text, not markup
        from pptx import Presentation

        prs = Presentation(io.BytesIO(report_files.write(built, "pptx", cfg, inputs)))
        meeting_slide = next(s for s in prs.slides
                             if s.shapes.title.text.startswith("Från mötet"))
        said = " ".join(sh.text_frame.text for sh in meeting_slide.shapes if sh.has_text_frame)
        assert "Samverkansbehov – Kultur och fritid: Fler kvällsaktiviteter" in said
        assert HOSTILE in said  # literal text on a slide: nothing is interpreted
    finally:
        process.save_report_text(engine, meeting, None, "strateg")
    assert process.report_text(engine, meeting) == (None, None, None)


def test_summary_lines_are_literal_blocks():
    block = document.summary_blocks("## Rubrik\n- punkt ett\nfri rad\n\n* punkt två", "S")
    assert block.points == ("Rubrik", "punkt ett", "fri rad", "punkt två")
    assert block.headings == (0,)


def test_template_potx_and_bad_templates(tmp_path):
    from pptx import Presentation

    plain = io.BytesIO()
    Presentation().save(plain)
    potx = tmp_path / "mall.potx"
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, \
            zipfile.ZipFile(potx, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(slides.SHOW_TYPE, slides.TEMPLATE_TYPE)
            dst.writestr(item, data)
    doc = document.Document("Titel", "okt 2026", (
        document.Block("", ("Kommunen",), kind="title"),
        document.Block("Sammanfattning", ("En punkt",), kind="summary")), demo=True,
        made="2026-11-30")
    prs = Presentation(io.BytesIO(slides.deck(doc, str(potx))))
    assert len(prs.slides) == 2
    with pytest.raises(ConfigError, match="Rapportmallen .* finns inte"):
        slides.deck(doc, str(tmp_path / "saknas.potx"))
    (tmp_path / "trasig.pptx").write_text("inte en mall")
    with pytest.raises(ConfigError, match="kan inte läsas som PowerPoint-mall"):
        slides.deck(doc, str(tmp_path / "trasig.pptx"))


# --- the command line -----------------------------------------------------------------------

@pytest.mark.parametrize("args, code, message", [
    (["--manad", "2026-13", "--typ", "est"], 2, "--manad ska skrivas ÅÅÅÅ-MM"),
    (["--kvartal", "2026-5", "--typ", "namnd"], 2, "--kvartal ska skrivas ÅÅÅÅ-Qn"),
    (["--typ", "est"], 2, "Ange en period"),
    (["--manad", "2026-10", "--kvartal", "2026-Q3", "--typ", "est"], 2, "Ange en period"),
    (["--manad", "2026-10", "--typ", "nyhetsbrev", "--format", "pptx"], 2,
     "finns inte som pptx"),
    (["--manad", "2026-10", "--typ", "chef"], 2, "Fel i kommandot"),
])
def test_cli_refuses_bad_arguments_in_swedish(args, code, message, tmp_path, capsys):
    out = tmp_path / "rapport.md"
    assert cli.main(["rapport", *args, "--ut", str(out)]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_cli_writes_a_report(tmp_path, capsys):
    out = tmp_path / "est.md"
    assert cli.main(["rapport", "--kvartal", "2026-Q3", "--typ", "est", "--ut", str(out)]) == 0
    assert "Skrev" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").startswith("# Social lägesbild – underlag till EST")


def test_a_year_before_the_data_is_inga_data_never_zero(demo):
    cfg, engine = demo
    built, _ = cli_reports.report_inputs(cfg, engine, "manad", "2019-06", "ledningsgrupp")
    for s in built.sections:
        assert s.shown("period_fg", cfg.threshold) == "inga uppgifter"
        # Nothing to expect from: no history for a range (or no data), never "no change".
        assert s.change.verdict in ("okant", "kort") and not s.change.significant
        assert s.expect is None or not s.expect.ok
        assert "inga uppgifter ett år tidigare" in s.line
        assert " 0 " not in s.line
        assert not len(s.flagged)  # no flags on a 12-month window half before the data
    assert "saknas i jämförelseperioderna" not in built.summary  # before the data: not missing
