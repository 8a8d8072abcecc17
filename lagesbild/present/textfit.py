"""Text that fits its box on a slide: how many lines a paragraph wraps to, the largest font
size at which paragraphs fit a box, and a cut with "…" when even the smallest size does not.

Measured with DejaVu Sans (Debian fonts-dejavu-core), which is wider than the usual Office
fonts (Calibri, Carlito), so text sized here is a little shorter in PowerPoint and
LibreOffice than measured. Sizes and boxes are in points and EMU as python-pptx gives them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
INSET = 0.1  # inches python-pptx leaves inside a text box left and right (0.05 top, bottom)
LINE = 1.25  # line height as a share of the font size (LibreOffice and PowerPoint: ~1.17)
AFTER_PT = 6  # space after each paragraph


@lru_cache(maxsize=64)
def _font(size: float, bold: bool):
    from PIL import ImageFont

    path = FONT_BOLD if bold else FONT
    return ImageFont.truetype(str(path), int(round(size * 10))) if path.is_file() else None


def _width_pt(text: str, size: float, bold: bool) -> float:
    font = _font(size, bold)
    if font is None:  # no DejaVu: a generous estimate of the average character
        return len(text) * size * 0.62
    return font.getlength(text) / 10


def lines_needed(text: str, size: float, width_pt: float, bold: bool = False) -> int:
    """How many lines *text* wraps to in a box *width_pt* wide (word wrap, as the box does)."""
    lines, current = 1, ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if not current or _width_pt(trial, size, bold) <= width_pt:
            current = trial
            if _width_pt(current, size, bold) > width_pt:  # one word wider than the box
                lines += int(_width_pt(current, size, bold) // width_pt)
        else:
            lines += 1
            current = word
    return lines


def text_height(lines, size: float, width_pt: float, bold: bool = False,
                heading_at=()) -> float:
    """Points of height the paragraphs take in a box of *width_pt* (without insets)."""
    total = 0.0
    for i, line in enumerate(lines):
        s = size + 2 if i in heading_at else size
        total += lines_needed(line, s, width_pt, bold or i in heading_at) * s * LINE + AFTER_PT
    return total


def fit_size(lines, width_emu: int, height_emu: int, largest: float, smallest: float,
             bold: bool = False, heading_at=()) -> float:
    """The largest size from *largest* down to *smallest* at which the lines fit the box."""
    width = width_emu / 12700 - 2 * INSET * 72
    height = height_emu / 12700 - 0.1 * 72
    size = largest
    while size > smallest and text_height(lines, size, width, bold, heading_at) > height:
        size -= 1
    return size


def shorten(lines, width_emu: int, height_emu: int, size: float, bold: bool = False,
            heading_at=()) -> list[str]:
    """Lines that still do not fit at the smallest size, cut at a word with "…" (the longest
    first) until they do: text never runs off its box. The full text is in the notes."""
    width = width_emu / 12700 - 2 * INSET * 72
    height = height_emu / 12700 - 0.1 * 72
    out = list(lines)
    while text_height(out, size, width, bold, heading_at) > height:
        i = max(range(len(out)), key=lambda n: len(out[n]))
        words = out[i].rstrip(" …").split()
        if len(words) <= 1:
            if len(out) == 1:
                break
            out.pop()  # nothing left to cut in the longest: drop the last line
            continue
        out[i] = " ".join(words[:max(1, int(len(words) * 0.85))]) + " …"
    return out
