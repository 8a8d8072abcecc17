"""A report as a PowerPoint deck (python-pptx): 16:9, type readable from the back of the room,
one chart per slide as the same PNG the app exports, the numbers behind it in the speaker
notes, and "Demodata" on every slide when the data are synthetic.

A municipality's own template (``LAGESBILD_RAPPORTMALL``, .potx or .pptx) gives the deck its
masters, fonts and colours. python-pptx opens only presentations, so a .potx is opened by
changing its main part's content type from template to presentation in memory (the file
itself is never changed); any slides a .pptx template holds are removed.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lagesbild.errors import ConfigError
from lagesbild.present.document import Block, Document

TEMPLATE_TYPE = b"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml"
SHOW_TYPE = b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
WIDE = (13.333, 7.5)  # inches: 16:9
DARK = (0x1F, 0x2A, 0x44)
MARK_COLOUR = (0xB3, 0x4D, 0x00)  # dark orange: readable on white, not only a colour
TITLE_PT, BODY_PT, FIGURE_PT, SMALL_PT = 34, 20, 40, 12


def _open_template(path: str):
    from pptx import Presentation

    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"Rapportmallen {path} (LAGESBILD_RAPPORTMALL) finns inte. Ange en "
                          ".potx- eller .pptx-fil, eller lämna inställningen tom.")
    try:
        raw = file.read_bytes()
        source = zipfile.ZipFile(io.BytesIO(raw))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "[Content_Types].xml":
                    data = data.replace(TEMPLATE_TYPE, SHOW_TYPE)
                target.writestr(item, data)
        prs = Presentation(io.BytesIO(out.getvalue()))
    except Exception as exc:  # zipfile, lxml and python-pptx each raise their own
        raise ConfigError(f"Rapportmallen {file.name} (LAGESBILD_RAPPORTMALL) kan inte läsas "
                          "som PowerPoint-mall (.potx eller .pptx). Spara om den från "
                          "PowerPoint, eller lämna inställningen tom.") from exc
    # A .pptx template may hold example slides: the report starts from an empty deck.
    ids = prs.slides._sldIdLst
    for sld in list(ids):
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)
    return prs


def _layout(prs, title_slide: bool):
    """The template's title layout, or its layout with a title and the fewest other
    placeholders (a "title only" layout), where our own boxes fit."""
    layouts = list(prs.slide_layouts)
    if title_slide:
        return layouts[0]

    def score(layout):
        kinds = [p.placeholder_format.type for p in layout.placeholders]
        has_title = any(str(k).startswith("TITLE") for k in kinds)
        return (0 if has_title else 1, len(kinds))

    return min(layouts, key=score)


def _rgb(colour):
    from pptx.dml.color import RGBColor

    return RGBColor(*colour)


def _text(slide, left, top, width, height, lines, size, bold=False, colour=DARK,
          bullets=False, headings=()):
    from pptx.util import Pt

    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        heading = i in headings
        para.text = ("• " if bullets and not heading else "") + line
        para.space_after = Pt(6)
        for run in para.runs:
            run.font.size = Pt(size + (2 if heading else 0))
            run.font.bold = bold or heading
            run.font.color.rgb = _rgb(colour)
    return box


def _title(slide, text, width, emu, place: bool = True):
    from pptx.util import Pt

    if slide.shapes.title is not None:
        title = slide.shapes.title
        title.text = text
        if place:  # the default layouts are 4:3: stretch the title over the 16:9 slide
            title.left, title.top = emu(0.5), emu(0.25)
            title.width, title.height = width - emu(1.0), emu(1.1)
        for para in slide.shapes.title.text_frame.paragraphs:
            for run in para.runs:  # a long name on two lines still leaves room below
                run.font.size = Pt(TITLE_PT if len(text) <= 40 else TITLE_PT - 6)
        return
    _text(slide, emu(0.5), emu(0.3), width - emu(1.0), emu(1.0), [text], TITLE_PT, bold=True)


def _picture(slide, png: bytes, left, top, max_w, max_h):
    """The picture as large as fits the box, keeping its proportions."""
    from PIL import Image as PILImage

    w, h = PILImage.open(io.BytesIO(png)).size
    scale = min(max_w / w, max_h / h)
    return slide.shapes.add_picture(io.BytesIO(png), left, top, int(w * scale), int(h * scale))


def deck(doc: Document, template: str = "") -> bytes:
    """The document as .pptx bytes."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = _open_template(template) if template else Presentation()
    if not template:
        prs.slide_width, prs.slide_height = Inches(WIDE[0]), Inches(WIDE[1])
    width, height = prs.slide_width, prs.slide_height

    def emu(inches):
        return int(inches * width / WIDE[0])

    for block in doc.blocks:
        slide = prs.slides.add_slide(_layout(prs, block.kind == "title"))
        if block.kind == "title":
            _title_slide(slide, doc, block, width, emu)
        else:
            _content_slide(slide, block, width, height, emu, place=not template)
        # Placeholders the layout brought that we left empty would show "Click to add text".
        for shape in list(slide.placeholders):
            if shape.has_text_frame and not shape.text_frame.text.strip():
                shape._element.getparent().remove(shape._element)
        if doc.demo:
            _text(slide, emu(0.5), height - emu(0.55), emu(8.5), emu(0.4), [doc.mark],
                  SMALL_PT + 2, bold=True, colour=MARK_COLOUR)
        _text(slide, emu(9.2), height - emu(0.55), emu(3.8), emu(0.4), [doc.made],
              SMALL_PT, colour=(0x55, 0x55, 0x55))
        slide.notes_slide.notes_text_frame.text = block.notes or block.title
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _title_slide(slide, doc: Document, block: Block, width, emu) -> None:
    if slide.shapes.title is not None:
        slide.shapes.title.text = doc.title
        subtitle = [p for p in slide.placeholders if p.placeholder_format.idx == 1]
        if subtitle:
            subtitle[0].text = "\n".join([doc.subtitle, *block.points])
            if width == int(WIDE[0] * 914400):  # our own 16:9 deck: place on the wide slide
                for shape, top, high in ((slide.shapes.title, 1.8, 1.8),
                                         (subtitle[0], 3.9, 1.6)):
                    shape.left, shape.width = emu(0.8), width - emu(1.6)
                    shape.top, shape.height = emu(top), emu(high)
            return
    else:
        _text(slide, emu(0.8), emu(2.2), width - emu(1.6), emu(1.6), [doc.title], 40, bold=True)
    _text(slide, emu(0.8), emu(4.0), width - emu(1.6), emu(1.2), [doc.subtitle, *block.points],
          BODY_PT + 2)


def _content_slide(slide, block: Block, width, height, emu, place: bool = True) -> None:
    _title(slide, block.title, width, emu, place)
    top = emu(1.45)
    bottom = height - emu(0.7)
    if block.image is not None:
        left_w = emu(3.6) if (block.figures or block.points) else 0
        if left_w:
            _side(slide, block, emu(0.4), top, left_w, bottom - top, emu)
        pic = _picture(slide, block.image.png, emu(0.5) + left_w, top,
                       width - left_w - emu(0.9), bottom - top)
        pic.name = "Diagram"
        pic._element.nvPicPr.cNvPr.set("descr", block.image.title)
        return
    if block.table:
        _table(slide, block.table, emu(0.5), top, width - emu(1.0), bottom - top, emu)
        return
    if block.figures:
        _figures(slide, block.figures, emu(0.5), top, width - emu(1.0), emu)
        top += emu(1.6)
    chars = sum(len(p) for p in block.points)
    size = BODY_PT if chars < 900 else BODY_PT - 4 if chars < 1300 else BODY_PT - 6
    _text(slide, emu(0.6), top, width - emu(1.2), bottom - top, list(block.points), size,
          bullets=True, headings=block.headings)


def _side(slide, block: Block, left, top, w, h, emu) -> None:
    """Headline figures and the key points beside a chart."""
    y = top
    for label, value in block.figures[:3]:
        _text(slide, left, y, w, emu(0.35), [label], SMALL_PT + 2, colour=(0x55, 0x55, 0x55))
        # "3 994 (+3,6 %)" must fit the column: long values a size smaller.
        _text(slide, left, y + emu(0.3), w, emu(0.7), [value],
              FIGURE_PT - 8 if len(value) <= 9 else FIGURE_PT - 16, bold=True)
        y += emu(1.05)
    if block.points:
        _text(slide, left, y, w, top + h - y, list(block.points[:6]), SMALL_PT + 4,
              bullets=True)


def _figures(slide, figures, left, top, w, emu) -> None:
    n = max(len(figures), 1)
    each = w // n
    for i, (label, value) in enumerate(figures):
        _text(slide, left + i * each, top, each, emu(0.4), [label], SMALL_PT + 4,
              colour=(0x55, 0x55, 0x55))
        _text(slide, left + i * each, top + emu(0.4), each, emu(0.9), [value], FIGURE_PT,
              bold=True)


def _table(slide, rows, left, top, w, h, emu) -> None:
    from pptx.util import Pt

    shown = rows[:9]  # header and eight rows: more does not read from the back of a room
    table = slide.shapes.add_table(len(shown), len(shown[0]), left, top, w,
                                   min(h, emu(0.55) * len(shown))).table
    for r, row in enumerate(shown):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = str(value)
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(SMALL_PT + 2)
                    run.font.bold = r == 0
