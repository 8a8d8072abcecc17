"""Every deck and document rendered as the reader sees it (issue 24): through LibreOffice
(headless) to PDF, and the words of every page read back with their boxes (poppler's
pdftotext -bbox). Nothing may leave its slide or page, no text may run out of its box, the
trend charts are PowerPoint charts with the published numbers behind them, and a slide says
one thing.

Needs Debian's libreoffice-impress, libreoffice-writer and poppler-utils (.ci/run installs
them). The rendered pages go to tests/artifacts/rapporter/ for a person to look at.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from lagesbild.cli import reports as cli_reports
from lagesbild.config import Config
from lagesbild.present import document, paper, slides
from lagesbild.release import publish
from lagesbild.views import report, report_files

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts" / "rapporter"
EMU_PER_PT = 12700
SLOP = 4.0  # points: a word's box is the font's full line height, a little over the text
LONG = ("Mottagningsenheten ser fler orosanmälningar från skolan om barn som inte kommer till "
        "undervisningen, särskilt i de norra stadsdelarna, och föreslår att fältgruppen och "
        "skolans elevhälsa gör gemensamma besök under hela vårterminen. ") * 4

CASES = [("manad", "2026-10", "ledningsgrupp"), ("kvartal", "2026-Q3", "namnd"),
         ("kvartal", "2026-Q3", "nyhetsbrev"), ("kvartal", "2026-Q3", "est")]


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    assert found, "LibreOffice saknas: apt-get install libreoffice-impress libreoffice-writer"
    assert shutil.which("pdftotext"), "poppler-utils saknas: apt-get install poppler-utils"
    return found


def render(files: list[Path], out: Path) -> dict[Path, Path]:
    """Each file converted to PDF by LibreOffice in one run; file → its PDF."""
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([_soffice(), "--headless", f"-env:UserInstallation=file://{out}/profil",
                    "--convert-to", "pdf", "--outdir", str(out), *map(str, files)],
                   check=True, capture_output=True, timeout=600)
    made = {f: out / (f.stem + ".pdf") for f in files}
    for f, pdf in made.items():
        assert pdf.is_file(), f"LibreOffice skrev ingen PDF av {f.name}"
    return made


def words(pdf: Path) -> list[tuple[float, float, list[tuple[str, float, float, float, float]]]]:
    """Per page (width, height, words with xMin, yMin, xMax, yMax in points, top down)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    html = re.sub(r"<!DOCTYPE[^>]*>", "", html).replace(' xmlns="http://www.w3.org/1999/xhtml"',
                                                        "")
    pages = []
    for page in ET.fromstring(html).iter("page"):
        ws = [(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
              for w in page.iter("word")]
        pages.append((float(page.get("width")), float(page.get("height")), ws))
    return pages


def overlapping(ws) -> list[tuple[str, str]]:
    """Pairs of printed words whose boxes cover each other (text printed over text)."""
    out = []
    for i, a in enumerate(ws):
        for b in ws[i + 1:]:
            w = min(a[3], b[3]) - max(a[1], b[1])
            h = min(a[4], b[4]) - max(a[2], b[2])
            if w > 2 and h > 0.5 * min(a[4] - a[2], b[4] - b[2]):
                out.append((a[0], b[0]))
    return out


def lines(ws) -> list[list]:
    """Words grouped into printed lines (same baseline within 2 pt)."""
    out: list[list] = []
    for w in sorted(ws, key=lambda w: (round(w[4]), w[1])):
        if out and abs(out[-1][0][4] - w[4]) < 2:
            out[-1].append(w)
        else:
            out.append([w])
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Every report type in every format, from the demo store, and their LibreOffice PDFs."""
    base = tmp_path_factory.mktemp("render")
    cfg = Config(db_url=f"sqlite:///{base / 'demo.sqlite'}")
    engine = publish.open_store(cfg, create=True)
    files, built = {}, {}
    for kind, code, typ in CASES:
        rep, inputs = cli_reports.report_inputs(cfg, engine, kind, code, typ)
        built[typ] = (rep, inputs)
        for form in report_files.FORMATS[typ]:
            path = base / form / report_files.file_name(rep, form)
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(report_files.write(rep, form, cfg, inputs))
            files[(typ, form)] = path
    # A deck whose texts are far too long: they must shrink or be cut, never run off.
    rep, inputs = built["ledningsgrupp"]
    long_rep = report.Report(**{**rep.__dict__, "text": f"## Rubrik\n- {LONG}\n- {LONG}\n"
                                                        f"- {LONG}\n- {LONG}"})
    path = base / "pptx" / "lang_text.pptx"
    doc = report_files.deck_document(long_rep, cfg, inputs)
    doc = document.Document(doc.title + " – " + LONG[:300], doc.subtitle, (
        *doc.blocks[:2],
        document.Block(LONG[:260], (LONG, LONG[:400], LONG[:200]), key="lang"),
        document.Block("Tabell", table=(("A", "B"), (LONG[:300], LONG[:120])), key="tabell"),
        *doc.blocks[2:]), doc.demo, doc.footer, doc.made)
    path.write_bytes(slides.deck(doc))
    files[("lang", "pptx")] = path
    long_md = document.Document("Lång", "okt 2026", (
        document.Block("Sammanfattning", tuple(f"{i}. {LONG[:180]}" for i in range(13))),),
        footer="Källa: demo", made="2026-12-07")
    path = base / "docx" / "lang_lista.docx"
    path.write_bytes(paper.docx(long_md))
    files[("lang", "docx")] = path
    rendered = {}
    for form in ("pptx", "docx"):
        chosen = [f for (_, fm), f in files.items() if fm == form]
        rendered.update(render(chosen, base / f"pdf_{form}"))
    return cfg, built, files, rendered


def _shape_boxes(slide) -> list[tuple[float, float, float, float]]:
    return [(s.left / EMU_PER_PT, s.top / EMU_PER_PT, (s.left + s.width) / EMU_PER_PT,
             (s.top + s.height) / EMU_PER_PT) for s in slide.shapes if s.left is not None]


@pytest.mark.parametrize("deck", ["ledningsgrupp", "namnd", "lang"])
def test_nothing_leaves_its_slide_or_its_box(made, deck):
    from pptx import Presentation

    _, _, files, rendered = made
    path = files[(deck, "pptx")]
    prs = Presentation(str(path))
    width, height = prs.slide_width / EMU_PER_PT, prs.slide_height / EMU_PER_PT
    pages = words(rendered[path])
    assert len(pages) == len(prs.slides)  # one page per slide: nothing spilled over
    (ARTIFACTS / deck).mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(rendered[path]),
                    str(ARTIFACTS / deck / "bild")], check=True)
    for n, (slide, (pw, ph, ws)) in enumerate(zip(prs.slides, pages), start=1):
        assert (round(pw), round(ph)) == (round(width), round(height))
        boxes = _shape_boxes(slide)
        for x0, y0, x1, y1 in boxes:  # every shape on the slide
            assert x0 >= 0 and y0 >= 0 and x1 <= width + 0.5 and y1 <= height + 0.5, n
        for text, x0, y0, x1, y1 in ws:  # every printed word inside the slide and in a box
            assert 0 <= x0 and x1 <= pw and 0 <= y0 and y1 <= ph, (n, text)
            inside = any(x0 >= bx0 - SLOP and x1 <= bx1 + SLOP and y0 >= by0 - SLOP and
                         y1 <= by1 + SLOP for bx0, by0, bx1, by1 in boxes)
            assert inside, f"bild {n}: ”{text}” ligger utanför sin ruta ({x0:.0f}, {y0:.0f})"
        # No printed line runs into another (text that overflows its box lands on the next);
        # a chart places its own labels.
        charts = [(s.left / EMU_PER_PT, s.top / EMU_PER_PT, (s.left + s.width) / EMU_PER_PT,
                   (s.top + s.height) / EMU_PER_PT) for s in slide.shapes if s.has_chart]
        text_words = [w for w in ws if not any(
            w[1] >= c[0] - SLOP and w[3] <= c[2] + SLOP and w[2] >= c[1] - SLOP and
            w[4] <= c[3] + SLOP for c in charts)]
        assert overlapping(text_words) == [], (n, overlapping(text_words)[:3])
        printed = lines(text_words)
        for a, b in zip(printed, printed[1:]):
            top_b = min(w[2] for w in b)
            bottom_a = max(w[4] for w in a)
            overlap_x = max(w[3] for w in a) > min(w[1] for w in b) and \
                max(w[3] for w in b) > min(w[1] for w in a)
            if overlap_x and top_b < bottom_a - 6:
                raise AssertionError(f"bild {n}: raderna ”{a[0][0]}…” och ”{b[0][0]}…” "
                                     "skriver över varandra")


@pytest.mark.parametrize("deck", ["ledningsgrupp", "namnd"])
def test_one_message_per_slide_and_numbers_in_the_notes(made, deck):
    from pptx import Presentation

    _, built, files, _ = made
    rep, inputs = built[deck]
    prs = Presentation(str(files[(deck, "pptx")]))
    titles = [s.shapes.title.text if s.shapes.title is not None else "" for s in prs.slides]
    assert 8 <= len(prs.slides) <= 20
    assert titles[1] == f"Det viktigaste i {rep.label}"
    assert titles[-1] == "Så har vi räknat"
    for slide, title in zip(prs.slides, titles):
        texts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
        said = " ".join(texts)
        assert "Demodata" in said
        assert "Inget möte" not in said
        if title != "Så har vi räknat":
            assert not re.search(r"\bp [=<] ", said), (title, said)  # p-values: notes only
            assert "KI" not in said
        bullets = [p for sh in slide.shapes if sh.has_text_frame
                   for p in sh.text_frame.paragraphs if p.text.startswith("• ")]
        assert len(bullets) <= 3, title
        visuals = [sh for sh in slide.shapes if sh.has_chart or sh.shape_type == 13]
        assert len(visuals) <= 1, title
    notes = " ".join(s.notes_slide.notes_text_frame.text for s in prs.slides)
    assert re.search(r"p = 0,\d+", notes)  # the p-values are there, for the presenter
    # Vräkningar: its trend slide, and on "Det viktigaste" at most; no map without a message.
    assert sum("Vräkningar" in t for t in titles) <= 2
    for s in rep.sections:
        flagged = len(s.flagged) and (s.flagged["flagga"] == "över").any()
        maps = [t for t in titles if t.startswith(f"{s.measure.short}:") and "områd" in t]
        assert len(maps) == (1 if flagged else 0), (s.measure.short, maps)


@pytest.mark.parametrize("deck", ["ledningsgrupp", "namnd"])
def test_trend_charts_are_powerpoint_charts_with_the_published_numbers(made, deck):
    from pptx import Presentation
    from pptx.enum.chart import XL_CHART_TYPE

    _, built, files, _ = made
    rep, _ = built[deck]
    prs = Presentation(str(files[(deck, "pptx")]))
    charts = {s.shapes.title.text: next(sh for sh in s.shapes if sh.has_chart).chart
              for s in prs.slides if any(sh.has_chart for sh in s.shapes)}
    for s in rep.sections:
        chart = charts[report_files.headline(rep, s)]
        assert chart.chart_type == XL_CHART_TYPE.LINE
        counts = chart.plots[0].series[0].values
        assert len(counts) == 36 and len(chart.plots[0].categories) == 36
        last = counts[-1]
        if rep.kind == "manad":  # the month's published count is the last point
            shown = s.shown("period", rep.threshold)
            assert (shown.startswith("<") and last is None) or \
                shown == f"{last:,.0f}".replace(",", "\u00a0"), (s.measure.short, shown, last)
    bars = [c for c in charts.values() if c.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED]
    assert len(bars) == len(rep.effect)  # one bar chart per action followed up


def test_documents_stay_on_their_pages_and_no_lone_line_on_a_page(made):
    _, built, files, rendered = made
    pdfs = {key: path for key, path in files.items() if key[1] == "pdf"}
    pdfs.update({(k[0], "docx"): rendered[p] for k, p in files.items() if k[1] == "docx"})
    for (typ, form), pdf in pdfs.items():
        pages = words(pdf)
        assert pages, (typ, form)
        for n, (pw, ph, ws) in enumerate(pages, start=1):
            for text, x0, y0, x1, y1 in ws:
                assert 0 <= x0 and x1 <= pw + 0.5 and 0 <= y0 and y1 <= ph + 0.5, \
                    (typ, form, n, text)
            assert overlapping(ws) == [], (typ, form, n, overlapping(ws)[:3])
            body = [ln for ln in lines(ws) if 60 < ln[0][2] < ph - 70]  # no header, footer
            if n > 1:
                assert len(body) != 1, f"{typ}.{form}, sida {n}: en ensam rad ”{body}”"
    # The newsletter is one page; the long list keeps its last point with the one before.
    assert len(words(rendered[files[("nyhetsbrev", "docx")]])) == 1
    assert len(words(files[("nyhetsbrev", "pdf")])) == 1


def test_newsletter_reads_as_text_for_colleagues(made):
    cfg, built, files, _ = made
    md = files[("nyhetsbrev", "md")].read_text(encoding="utf-8")
    assert "\\<" not in md and "\\(" not in md
    assert not re.search(r"\bp [=<] |\bKI\b|99,8", md)  # no statistics for colleagues
    assert "Det viktigaste" in md and "Läs mer" in md
    paragraphs = [p for p in md.split("\n\n") if p and not p.startswith(("#", "*", "-", "|"))]
    assert all(len(p) < 600 for p in paragraphs)
    rep, _ = built["nyhetsbrev"]
    oros = next(s for s in rep.sections if s.measure.code == "orosanmalningar")
    assert oros.shown("period", rep.threshold) in md  # the numbers that matter
    linked = report_files.newsletter_document(rep, Config(app_url="https://lagesbild.example"))
    text = document.markdown(linked)
    assert "[Kartan över kommunen](<https://lagesbild.example/karta>)" in text
    assert "<5" in text and "\\<5" not in text


def test_slides_can_be_left_out_and_reordered_and_a_template_uploaded(made):
    from pptx import Presentation

    cfg, built, _, _ = made
    rep, inputs = built["ledningsgrupp"]
    keys = [k for k, _ in report_files.slide_list(rep, cfg, inputs)]
    assert keys[0] == "viktigast" and keys[-1] == "metod" and len(set(keys)) == len(keys)
    order = ["metod", "trend:vrakningar", "viktigast"]
    plain = Presentation()
    raw = io.BytesIO()
    plain.save(raw)
    prs = Presentation(io.BytesIO(report_files.write(rep, "pptx", cfg, inputs,
                                                     template=raw.getvalue(), order=order)))
    titles = [s.shapes.title.text for s in prs.slides]
    assert titles[1:] == ["Så har vi räknat",
                          report_files.headline(rep, next(s for s in rep.sections
                                                          if s.measure.code == "vrakningar")),
                          f"Det viktigaste i {rep.label}"]
    from lagesbild.errors import ConfigError

    with pytest.raises(ConfigError, match="kan inte läsas som PowerPoint-mall"):
        slides.check_template(b"inte en mall")
