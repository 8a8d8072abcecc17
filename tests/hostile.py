"""Hostile files, generated at test time: no such file is kept in the repository.

``far_cell_xlsx``: two real rows and one cell at XFD1048576 (python-calamine would allocate
549 GB for the sheet's rectangle). ``zip_bomb_xlsx``: a workbook whose sheet XML is a few MB
compressed and GBs unpacked, written by repeating one zlib block, so building it takes well
under a second and little memory.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from openpyxl import Workbook

ROWS = [["Månad", "Postnummer", "Kön", "Åldersgrupp", "Typ av våld", "Antal"],
        ["2023-03", "97231", "Kvinna", "25-44", "Fysiskt våld", 2],
        ["2023-03", "97333", "Man", "25-44", "Fysiskt våld", 3]]


def workbook(rows=ROWS, far_cell: str | None = None, sheet: str = "Blad1") -> bytes:
    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    if far_cell:
        book.active[far_cell] = "x"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def far_cell_xlsx() -> bytes:
    return workbook(far_cell="XFD1048576")


def with_declared_dimension(data: bytes, ref: str) -> bytes:
    """*data* with the first sheet's ``<dimension ref>`` rewritten (a workbook that lies)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                start = content.index(b'<dimension ref="') + len(b'<dimension ref="')
                end = content.index(b'"', start)
                content = content[:start] + ref.encode() + content[end:]
            target.writestr(info.filename, content)
    return out.getvalue()


def _raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated entries: (name, deflated bytes, crc32, unpacked size)."""
    out, central = io.BytesIO(), []
    for name, body, crc, size in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(body),
                              size, len(encoded), 0) + encoded)
        out.write(body)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21,
                                   crc, len(body), size, len(encoded), 0, 0, 0, 0, 0, offset)
                       + encoded)
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          out.tell() - start, start, 0))
    return out.getvalue()


def zip_bomb_xlsx(compressed_mb: float = 1.5) -> tuple[bytes, int]:
    """A valid-looking .xlsx whose sheet unpacks to about 700 times *compressed_mb*.

    Returns the file and the sheet XML's unpacked size.
    """
    normal = zipfile.ZipFile(io.BytesIO(workbook()))
    entries = []
    for info in normal.infolist():
        if info.filename == "xl/worksheets/sheet1.xml":
            continue
        content = normal.read(info)
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        entries.append((info.filename, packer.compress(content) + packer.flush(),
                        zlib.crc32(content), len(content)))
    head = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
    chunk = b" " * (1 << 20)  # one MB of spaces inside a cell's text
    tail = b"</t></is></c></row></sheetData></worksheet>"
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = [packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)]
    packer.compress(chunk)
    block = packer.flush(zlib.Z_FULL_FLUSH)  # after a full flush, each chunk packs the same
    repeats = int(compressed_mb * (1 << 20) / len(block))
    body.append(block * repeats)
    body.append(packer.compress(tail) + packer.flush())
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + repeats * len(chunk) + len(tail)
    entries.append(("xl/worksheets/sheet1.xml", b"".join(body), crc, size))
    return _raw_zip(entries), size


def far_cell_ods() -> bytes:
    """An .ods with a header row and one cell 1 048 571 rows and 16 384 columns away, written
    with OpenDocument's repeat attributes (845 bytes)."""
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office='
        '"urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="' + table + '" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Blad1"><table:table-row>'
        '<table:table-cell office:value-type="string"><text:p>Månad</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>Antal</text:p></table:table-cell>'
        '</table:table-row><table:table-row table:number-rows-repeated="1048570">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="16383"/>'
        '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
        '</table:table-row></table:table></office:spreadsheet></office:body>'
        '</office:document-content>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        book.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
