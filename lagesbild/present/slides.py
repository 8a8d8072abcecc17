"""A report as a PowerPoint deck (python-pptx): 16:9, one message per slide (a headline
sentence, one chart or map, at most three short points), type readable from the back of the
room, the numbers and the method in the speaker notes, and "Demodata" on every slide when
the data are synthetic.

Trend and bar charts are native PowerPoint charts with their data (a manager can restyle
them); maps are pictures. Every text is sized to fit its box (``textfit``).

A municipality's own template (.potx or .pptx, from the settings or uploaded on the page
Rapporter) gives the deck its masters, fonts and colours. python-pptx opens only
presentations, so a .potx is opened by changing its main part's content type from template
to presentation in memory (the file itself is never changed); any slides a .pptx template
holds are removed.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lagesbild.errors import ConfigError
from lagesbild.present.document import Block, Chart, Document
from lagesbild.present.textfit import AFTER_PT, fit_size, shorten

TEMPLATE_TYPE = b"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml"
SHOW_TYPE = b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
WIDE = (13.333, 7.5)  # inches: 16:9
DARK = (0x1F, 0x2A, 0x44)
GREY = (0x55, 0x55, 0x55)
MARK_COLOUR = (0xB3, 0x4D, 0x00)  # dark orange: readable on white, not only a colour
SERIES_COLOURS = ((0x2C, 0x7F, 0xB8), (0xE6, 0x61, 0x01), (0x7F, 0x7F, 0x7F))
TITLE_PT, BODY_PT, FIGURE_PT, SMALL_PT = 32, 22, 36, 12
MIN_BODY_PT = 14  # smaller does not read from the back of a room


def _open_template(template) -> object:
    """A presentation from a template path or its bytes (an upload)."""
    from pptx import Presentation

    if isinstance(template, (bytes, bytearray)):
        raw, name = bytes(template), "den uppladdade mallen"
    else:
        file = Path(template)
        if not file.is_file():
            raise ConfigError(f"Rapportmallen {template} (LAGESBILD_RAPPORTMALL) finns inte. "
                              "Ange en .potx- eller .pptx-fil, eller lämna inställningen tom.")
        raw, name = file.read_bytes(), file.name
    try:
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
        raise ConfigError(f"Rapportmallen {name} kan inte läsas som PowerPoint-mall (.potx "
                          "eller .pptx). Spara om den från PowerPoint, eller välj en annan "
                          "mall.") from exc
    # A .pptx template may hold example slides: the report starts from an empty deck.
    ids = prs.slides._sldIdLst
    for sld in list(ids):
        prs.part.drop_rel(sld.rId)
        ids.remove(sld)
    return prs


def check_template(raw: bytes) -> None:
    """Raise our Swedish error when *raw* is not a PowerPoint template (an upload)."""
    _open_template(raw)


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
          bullets=False, headings=(), smallest=None):
    """A text box whose text fits it: the size shrinks (not below *smallest*) until it does."""
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Pt

    shown = [("• " if bullets and i not in headings else "") + line
             for i, line in enumerate(lines)]
    size = fit_size(shown, width, height, size, smallest or size, bold, headings)
    shown = shorten(shown, width, height, size, bold, headings)
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    for i, line in enumerate(shown):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        heading = i in headings
        para.text = line
        para.space_after = Pt(AFTER_PT)
        for run in para.runs:
            run.font.size = Pt(size + (2 if heading else 0))
            run.font.bold = bold or heading
            run.font.color.rgb = _rgb(colour)
    return box


def _title(slide, text, width, emu, place: bool = True):
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Pt

    left, top, w, h = emu(0.5), emu(0.25), width - emu(1.0), emu(1.2)
    if slide.shapes.title is None:
        return _text(slide, left, top, w, h, [text], TITLE_PT, bold=True, smallest=20)
    title = slide.shapes.title
    title.text = text
    if place:  # the default layouts are 4:3: stretch the title over the 16:9 slide
        title.left, title.top, title.width, title.height = left, top, w, h
    size = fit_size([text], title.width, title.height, TITLE_PT, 20, bold=True)
    cut = shorten([text], title.width, title.height, size, bold=True)[0]
    if cut != text:
        title.text = cut
    title.text_frame.word_wrap = True
    title.text_frame.auto_size = MSO_AUTO_SIZE.NONE
    for para in title.text_frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(size)
    return title


def _picture(slide, png: bytes, left, top, max_w, max_h):
    """The picture as large as fits the box, keeping its proportions, centred in it."""
    from PIL import Image as PILImage

    w, h = PILImage.open(io.BytesIO(png)).size
    scale = min(max_w / w, max_h / h)
    pw, ph = int(w * scale), int(h * scale)
    return slide.shapes.add_picture(io.BytesIO(png), left + (max_w - pw) // 2, top, pw, ph)


# --- native charts --------------------------------------------------------------------------

def _chart(slide, chart: Chart, left, top, width, height):
    """An editable PowerPoint chart with its data (right-click, Edit data)."""
    from lxml import etree
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import (XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION,
                                  XL_MARKER_STYLE)
    from pptx.util import Pt

    data = CategoryChartData(number_format=chart.number_format)
    data.categories = list(chart.categories)
    for name, values in chart.series:
        data.add_series(name, list(values))
    kind = XL_CHART_TYPE.LINE if chart.kind == "line" else XL_CHART_TYPE.COLUMN_CLUSTERED
    frame = slide.shapes.add_chart(kind, left, top, width, height, data)
    frame.name = "Diagram"
    plot = frame.chart
    plot.font.size = Pt(14)
    plot.font.color.rgb = _rgb(DARK)
    plot.has_legend = True
    plot.legend.position = XL_LEGEND_POSITION.BOTTOM
    plot.legend.include_in_layout = False
    plot.legend.font.size = Pt(14)
    value_axis = plot.value_axis
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = _rgb((0xD9, 0xD9, 0xD9))
    value_axis.tick_labels.font.size = Pt(13)
    value_axis.tick_labels.number_format = chart.number_format
    value_axis.tick_labels.number_format_is_linked = False
    if chart.axis_title:
        value_axis.has_title = True
        value_axis.axis_title.text_frame.text = chart.axis_title
        for para in value_axis.axis_title.text_frame.paragraphs:
            for run in para.runs:
                run.font.size = Pt(13)
                run.font.bold = False
    category_axis = plot.category_axis
    category_axis.tick_labels.font.size = Pt(13)
    if chart.kind == "line":
        value_axis.minimum_scale = 0
        # A label every sixth month: 36 months of labels would overlap.
        ax = category_axis._element
        ns = "http://schemas.openxmlformats.org/drawingml/2006/chart"
        for tag, val in (("tickLblSkip", "6"), ("tickMarkSkip", "3"), ("noMultiLvlLbl", "1")):
            for old in ax.findall(f"{{{ns}}}{tag}"):
                ax.remove(old)
            el = etree.SubElement(ax, f"{{{ns}}}{tag}")
            el.set("val", val)
        for i, series in enumerate(plot.series):
            series.smooth = False
            line = series.format.line
            line.color.rgb = _rgb(SERIES_COLOURS[i % len(SERIES_COLOURS)])
            line.width = Pt(2.25 if i == 0 else 3.5)
            series.marker.style = XL_MARKER_STYLE.NONE
    else:
        plot.plots[0].gap_width = 60
        plot.plots[0].has_data_labels = True
        labels = plot.plots[0].data_labels
        labels.number_format = chart.number_format
        labels.number_format_is_linked = False
        labels.position = XL_LABEL_POSITION.OUTSIDE_END
        labels.font.size = Pt(16)
        labels.font.bold = True
        for i, series in enumerate(plot.series):
            fill = series.format.fill
            fill.solid()
            fill.fore_color.rgb = _rgb(SERIES_COLOURS[i % len(SERIES_COLOURS)])
    return frame


# --- the deck -------------------------------------------------------------------------------

def deck(doc: Document, template=None, order: list[str] | None = None) -> bytes:
    """The document as .pptx bytes.

    Parameters
    ----------
    doc : Document
        The report's blocks, one slide each.
    template : str, Path or bytes, optional
        A .potx/.pptx file (its path, or its bytes when uploaded); a plain 16:9 deck if empty.
    order : list of str, optional
        Block keys in the order the slides should come; blocks not named are left out. The
        title slide always comes first.

    Returns
    -------
    bytes
    """
    from pptx import Presentation
    from pptx.util import Inches

    prs = _open_template(template) if template else Presentation()
    if not template:
        prs.slide_width, prs.slide_height = Inches(WIDE[0]), Inches(WIDE[1])
    width, height = prs.slide_width, prs.slide_height

    def emu(inches):
        return int(inches * width / WIDE[0])

    for block in chosen(doc.blocks, order):
        slide = prs.slides.add_slide(_layout(prs, block.kind == "title"))
        if block.kind == "title":
            _title_slide(slide, doc, block, width, height, emu)
        else:
            _content_slide(slide, block, width, height, emu, place=not template)
        # Placeholders the layout brought that we left empty would show "Click to add text".
        for shape in list(slide.placeholders):
            if shape.has_text_frame and not shape.text_frame.text.strip():
                shape._element.getparent().remove(shape._element)
        if doc.demo:
            _text(slide, emu(0.5), height - emu(0.55), emu(8.5), emu(0.4), [doc.mark],
                  SMALL_PT + 2, bold=True, colour=MARK_COLOUR, smallest=9)
        _text(slide, emu(9.2), height - emu(0.55), emu(3.8), emu(0.4), [doc.made],
              SMALL_PT, colour=GREY, smallest=9)
        slide.notes_slide.notes_text_frame.text = block.notes or block.title
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def chosen(blocks, order: list[str] | None):
    """The blocks in the chosen order (by key), the title first; all when no order is given."""
    if order is None:
        return list(blocks)
    by_key = {b.key: b for b in blocks}
    title = [b for b in blocks if b.kind == "title"]
    return title + [by_key[k] for k in order if k in by_key and by_key[k].kind != "title"]


def _title_slide(slide, doc: Document, block: Block, width, height, emu) -> None:
    lines = [doc.subtitle, *block.points]
    if slide.shapes.title is not None:
        subtitle = [p for p in slide.placeholders if p.placeholder_format.idx == 1]
        if subtitle:
            slide.shapes.title.text = doc.title
            subtitle[0].text = "\n".join(lines)
            if width == int(WIDE[0] * 914400):  # our own 16:9 deck: place on the wide slide
                for shape, top, high in ((slide.shapes.title, 1.6, 2.0),
                                         (subtitle[0], 3.9, 1.6)):
                    shape.left, shape.width = emu(0.8), width - emu(1.6)
                    shape.top, shape.height = emu(top), emu(high)
            _fit_placeholder(slide.shapes.title, 40, True)
            _fit_placeholder(subtitle[0], 24, False)
            return
        slide.shapes.title._element.getparent().remove(slide.shapes.title._element)
    _text(slide, emu(0.8), emu(1.6), width - emu(1.6), emu(2.0), [doc.title], 40, bold=True,
          smallest=24)
    _text(slide, emu(0.8), emu(3.9), width - emu(1.6), emu(1.6), lines, BODY_PT + 2,
          smallest=16)


def _fit_placeholder(shape, largest, bold) -> None:
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Pt

    lines = [p.text for p in shape.text_frame.paragraphs]
    size = fit_size(lines, shape.width, shape.height, largest, 14, bold)
    cut = shorten(lines, shape.width, shape.height, size, bold)
    if cut != lines:
        shape.text = "\n".join(cut)
    shape.text_frame.word_wrap = True
    shape.text_frame.auto_size = MSO_AUTO_SIZE.NONE
    for para in shape.text_frame.paragraphs:
        for run in para.runs:
            run.font.size = Pt(size)


def _content_slide(slide, block: Block, width, height, emu, place: bool = True) -> None:
    _title(slide, block.title, width, emu, place)
    top = emu(1.55)
    bottom = height - emu(0.7)
    visual = block.chart is not None or block.image is not None
    if visual:
        side = emu(3.7) if (block.figures or block.points) else 0
        if side:
            _side(slide, block, emu(0.4), top, side, bottom - top, emu)
        left, w = emu(0.5) + side, width - side - emu(0.9)
        if block.chart is not None:
            _chart(slide, block.chart, left, top, w, bottom - top)
        else:
            pic = _picture(slide, block.image.png, left, top, w, bottom - top)
            pic.name = "Karta"
            pic._element.nvPicPr.cNvPr.set("descr", block.image.title)
        return
    if block.table:
        _table(slide, block.table, emu(0.5), top, width - emu(1.0), bottom - top, emu)
        return
    if block.figures:
        _figures(slide, block.figures, emu(0.5), top, width - emu(1.0), emu)
        top += emu(1.6)
    _text(slide, emu(0.6), top, width - emu(1.2), bottom - top, list(block.points), BODY_PT + 2,
          bullets=True, headings=block.headings, smallest=MIN_BODY_PT)


def _side(slide, block: Block, left, top, w, h, emu) -> None:
    """Headline figures (at most three) and the short points beside a chart."""
    y = top
    for label, value in block.figures[:3]:
        _text(slide, left, y, w, emu(0.4), [label], SMALL_PT + 4, colour=GREY, smallest=11)
        _text(slide, left, y + emu(0.38), w, emu(0.75), [value], FIGURE_PT, bold=True,
              smallest=18)
        y += emu(1.25)
    if block.points:
        _text(slide, left, y, w, top + h - y, list(block.points[:3]), BODY_PT - 2,
              bullets=True, smallest=MIN_BODY_PT)


def _figures(slide, figures, left, top, w, emu) -> None:
    n = max(len(figures), 1)
    each = w // n
    for i, (label, value) in enumerate(figures):
        _text(slide, left + i * each, top, each, emu(0.45), [label], SMALL_PT + 4,
              colour=GREY, smallest=11)
        _text(slide, left + i * each, top + emu(0.45), each, emu(0.9), [value], FIGURE_PT,
              bold=True, smallest=18)


def _table(slide, rows, left, top, w, h, emu) -> None:
    from pptx.util import Pt

    shown = rows[:7]  # header and six rows: more does not read from the back of a room
    row_h = min(emu(0.6), h // len(shown))
    table = slide.shapes.add_table(len(shown), len(shown[0]), left, top, w,
                                   row_h * len(shown)).table
    col_w = w // len(shown[0])
    for r, row in enumerate(shown):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            # A cell grows with its text and pushes the table off the slide: the text is
            # sized (and, past the smallest size, cut) to the row's height.
            size = fit_size([str(value)], col_w, row_h, SMALL_PT + 4, 10, r == 0)
            cell.text = shorten([str(value)], col_w, row_h, size, r == 0)[0]
            for para in cell.text_frame.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(size)
                    run.font.bold = r == 0
