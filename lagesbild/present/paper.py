"""A report on paper: PDF for the socialnämnd's documents (fpdf2) and Word (python-docx).

The PDF has the report's title and date on every page, page numbers ("Sida 2 av 9"), the
source and disclosure rule at the foot, and "Demodata" in the header when the data are
synthetic. Its font is DejaVu Sans from the system (Debian: fonts-dejavu-core), so å, ä, ö
and the minus sign print; nothing is downloaded. Texts are written literally (no Markdown).
"""

from __future__ import annotations

import io
from pathlib import Path

from lagesbild.errors import ConfigError
from lagesbild.present.document import Block, Document

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts"))
GREY = (85, 85, 85)
MARK = (179, 77, 0)


def _font(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise ConfigError(f"Typsnittet {name} saknas, så PDF:en kan inte skrivas med å, ä och ö. "
                      "Installera paketet fonts-dejavu-core (apt-get install "
                      "fonts-dejavu-core).")


def _plain(text: str) -> str:
    # The no-break spaces of Swedish numbers print; the word joiner has no glyph in DejaVu.
    return str(text).replace("\u2060", "")


def pdf(doc: Document) -> bytes:
    """The document as PDF bytes (A4 portrait)."""
    from fpdf import FPDF

    class Paper(FPDF):
        def header(self):
            title = _plain(f"{doc.title} · {doc.made}")
            self.set_font("DejaVu", "B", 8)
            mark_w = self.get_string_width(doc.mark) if doc.demo else 0
            self.set_font("DejaVu", "", 8)
            self.set_text_color(*GREY)
            # A long title and the demo mark on one line would print over each other.
            together = self.get_string_width(title) + mark_w + 6 <= self.epw
            self.cell(0, 5, title, align="L")
            if doc.demo:
                if not together:
                    self.ln(4)
                self.set_text_color(*MARK)
                self.set_font("DejaVu", "B", 8)
                self.cell(0, 5, doc.mark, align="R")
            self.ln(8)

        def footer(self):
            self.set_y(-15)
            self.set_font("DejaVu", "", 7)
            self.set_text_color(*GREY)
            self.multi_cell(150, 3.5, _plain(doc.page_footer or doc.footer), align="L")
            self.set_xy(-35, -15)
            self.cell(25, 4, f"Sida {self.page_no()} av {{nb}}", align="R")

    paper = Paper(orientation="P", unit="mm", format="A4")
    paper.add_font("DejaVu", "", str(_font("DejaVuSans.ttf")))
    paper.add_font("DejaVu", "B", str(_font("DejaVuSans-Bold.ttf")))
    paper.set_auto_page_break(True, margin=22)
    paper.set_margins(18, 15, 18)
    paper.alias_nb_pages()
    paper.set_title(doc.title)
    paper.set_creator("Social lägesbild")
    for block in doc.blocks:
        if block.kind == "title":
            _pdf_title(paper, doc, block)
        else:
            _pdf_block(paper, block)
    if doc.links:
        paper.set_font("DejaVu", "", 10)
        for label, url in doc.links:
            paper.multi_cell(paper.epw, 5.2, _plain(f"{label}: {url}"), align="L", link=url)
    return bytes(paper.output())


def _pdf_title(paper, doc: Document, block: Block) -> None:
    paper.add_page()
    paper.ln(40)
    paper.set_font("DejaVu", "B", 24)
    paper.set_text_color(31, 42, 68)
    paper.multi_cell(0, 11, _plain(doc.title), align="L")
    paper.ln(4)
    paper.set_font("DejaVu", "", 13)
    paper.multi_cell(0, 7, _plain("\n".join([doc.subtitle, *block.points])), align="L")
    if doc.demo:
        paper.ln(6)
        paper.set_font("DejaVu", "B", 13)
        paper.set_text_color(*MARK)
        paper.multi_cell(0, 7, doc.mark, align="L")


def _pdf_block(paper, block: Block) -> None:
    w = paper.epw
    if paper.page == 0 or block.image is not None or block.kind in ("summary", "sources") \
            or paper.get_y() > 200:
        paper.add_page()
    else:
        paper.ln(4)
    paper.set_font("DejaVu", "B", 15)
    paper.set_text_color(31, 42, 68)
    paper.multi_cell(w, 8, _plain(block.title), align="L")
    paper.ln(1)
    paper.set_text_color(0, 0, 0)
    if block.figures:
        paper.set_font("DejaVu", "", 10)
        for label, value in block.figures:
            paper.set_font("DejaVu", "", 10)
            paper.cell(70, 6, _plain(label))
            paper.set_font("DejaVu", "B", 10)
            paper.cell(0, 6, _plain(value), new_x="LMARGIN", new_y="NEXT")
        paper.ln(2)
    for i, point in enumerate(block.points):
        if block.kind == "prose":
            paper.set_font("DejaVu", "", 11)
            paper.multi_cell(w, 5.8, _plain(point), align="L")
            paper.ln(2.5)
            continue
        if i in block.headings:
            paper.ln(2)
            paper.set_font("DejaVu", "B", 11)
            paper.multi_cell(w, 6, _plain(point), align="L")
        else:
            paper.set_font("DejaVu", "", 10)
            paper.multi_cell(w, 5.2, _plain(f"• {point}"), align="L")
        paper.ln(0.8)
    if block.image is not None:
        from PIL import Image as PILImage

        iw, ih = PILImage.open(io.BytesIO(block.image.png)).size
        height = w * ih / iw
        if paper.get_y() + height > paper.h - 25:
            paper.add_page()
        paper.image(io.BytesIO(block.image.png), w=w, alt_text=block.image.title)
    if block.table:
        _pdf_table(paper, block.table)


def _pdf_table(paper, rows) -> None:
    paper.set_font("DejaVu", "", 8)
    with paper.table(col_widths=None, text_align="LEFT", line_height=4.2,
                     first_row_as_headings=True) as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(_plain(value))


def docx(doc: Document) -> bytes:
    """The document as a Word file: headings, points and tables (no images: a newsletter or an
    EST note is text)."""
    from docx import Document as Word
    from docx.shared import Pt, RGBColor

    word = Word()
    style = word.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    section = word.sections[0]
    if doc.demo:
        run = section.header.paragraphs[0].add_run(doc.mark)
        run.bold = True
        run.font.color.rgb = RGBColor(*MARK)
    section.footer.paragraphs[0].add_run(_plain(doc.footer)).font.size = Pt(8)
    word.add_heading(_plain(doc.title), level=0)
    word.add_paragraph(_plain(doc.subtitle))
    if doc.demo:
        mark = word.add_paragraph().add_run(doc.mark)
        mark.bold = True
    for block in doc.blocks:
        if block.kind == "title":
            continue
        word.add_heading(_plain(block.title), level=1)
        for label, value in block.figures:
            para = word.add_paragraph(style="List Bullet")
            para.add_run(_plain(f"{label}: ")).bold = False
            para.add_run(_plain(value)).bold = True
        if block.kind == "prose":
            for point in block.points:
                word.add_paragraph(_plain(point))
        else:
            _word_points(word, block)
        if block.table:
            header, *rows = block.table
            table = word.add_table(rows=1, cols=len(header))
            table.style = "Light Grid Accent 1"
            for cell, value in zip(table.rows[0].cells, header):
                cell.text = _plain(value)
            for row in rows:
                for cell, value in zip(table.add_row().cells, row):
                    cell.text = _plain(value)
    for label, url in doc.links:
        word.add_paragraph(_plain(f"{label}: {url}"), style="List Bullet")
    _keep_lists_together(word)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _word_points(word, block: Block) -> None:
    for i, point in enumerate(block.points):
        if i in block.headings:
            word.add_heading(_plain(point), level=2)
        else:
            word.add_paragraph(_plain(point), style="List Bullet")


def _keep_lists_together(word) -> None:
    """Headings stay with what follows, and a list's last point never stands alone at the
    top of a page: the point before it keeps with it (and a short list of up to four points
    stays on one page)."""
    paras = word.paragraphs
    for i, para in enumerate(paras):
        bullet = para.style.name == "List Bullet"
        nxt = paras[i + 1] if i + 1 < len(paras) else None
        next_bullet = nxt is not None and nxt.style.name == "List Bullet"
        if para.style.name.startswith("Heading") or para.style.name == "Title":
            para.paragraph_format.keep_with_next = True
        elif bullet and next_bullet:
            run_end = i + 1
            while run_end + 1 < len(paras) and paras[run_end + 1].style.name == "List Bullet":
                run_end += 1
            start = i
            while start > 0 and paras[start - 1].style.name == "List Bullet":
                start -= 1
            if run_end - start + 1 <= 4 or i == run_end - 1:
                para.paragraph_format.keep_with_next = True
