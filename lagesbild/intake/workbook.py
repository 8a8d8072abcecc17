"""Workbooks are untrusted input: inspect them before parsing, and parse them where a failure
cannot take the server down.

An .xlsx, .xlsm or .ods file is a zip of XML. Before anything is parsed, :func:`inspect`
checks the file size, the zip's number of entries, its total unpacked size and each entry's
compression ratio (a zip bomb), and for .xlsx each sheet's declared ``<dimension>`` (one cell
at XFD1048576 declares 1 048 576 rows and 16 384 columns), read from the first few kilobytes
of the sheet's XML only. A file over a limit is refused with a Swedish message that says what
is too large.

A workbook can still lie (a small declared dimension, a cell far away), so :func:`parse`
runs python-calamine in a child process (``parse_child.py``) with a memory cap, no core dumps
and a timeout: a file that would exhaust memory ends that process, not the server, and
becomes a Swedish :class:`DataError`.
"""

from __future__ import annotations

import html
import io
import logging
import os
import pickle
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lagesbild import fmt
from lagesbild.errors import DataError

log = logging.getLogger(__name__)

CHILD = Path(__file__).with_name("parse_child.py")
MAX_ENTRIES = 10_000  # a workbook has tens of parts; thousands means something else
MAX_RATIO = 200  # XML compresses 5-20 times, empty styled cells up to ~100; bombs 1000+
RATIO_FROM = 10 * 1024 * 1024  # the ratio is checked for parts that unpack to more than this
HEAD_BYTES = 64 * 1024  # the <dimension> element sits near the top of a sheet's XML
ZIP_FORMATS = (".xlsx", ".xlsm", ".ods")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=[\"']([A-Z]{1,3})?(\d+)?"
                        rb"(?::([A-Z]{1,3})(\d+))?[\"']")
_SHEET_TAG = re.compile(r"<(?:\w+:)?sheet\s([^>]*)/?>")
_REL_TAG = re.compile(r"<(?:\w+:)?Relationship\s([^>]*)/?>")
_ATTR = re.compile(r"([\w:]+)=\"([^\"]*)\"")
# The child needs no environment of ours; Rust's backtraces stay off.
_CHILD_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
              "RUST_BACKTRACE": "0"}
_ADVICE = "Spara om filen med bara de rader och kolumner som behövs och läs in den igen."
# What a broken or constructed zip raises while it is read: a part's header lying about its
# size, a bad CRC-32, a file cut short, an encrypted or unknown compression.
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
               NotImplementedError, RuntimeError, KeyError)
HIDDEN_PART_BYTES = 8 * 1024 * 1024  # comments and properties are small; more is not read
# Excel writes xl/comments1.xml, openpyxl xl/comments/comment1.xml, threaded comments and
# their people have folders of their own, and legacy drawings (.vml) repeat the text.
_COMMENT_PART = re.compile(r"xl/(?:.*comment.*|persons/[^/]+)\.(?:xml|vml)", re.IGNORECASE)
_PROPERTY_PART = re.compile(r"docProps/[^/]+\.xml|meta\.xml")
_DEFINED_NAME = re.compile(r"<(?:\w+:)?definedName\s([^>]*)>(.*?)</(?:\w+:)?definedName>",
                           re.DOTALL)
_ODS_ANNOTATION = re.compile(r"<office:annotation\b.*?</office:annotation>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_ATTR_VALUE = re.compile(r"=\"([^\"]*)\"")
OTHER = ("en annan del av arbetsboken (till exempel en länk, ett diagram, en pivottabell, en "
         "lista för dataverifiering eller sidhuvudet)")


def _broken(name: str) -> DataError:
    return DataError(f"{name} går inte att läsa som Excel-fil: filen är skadad (en del av den "
                     "stämmer inte med sin kontrollsumma eller storlek, eller filen är "
                     "avklippt). Spara filen på nytt från källsystemet eller Excel och försök "
                     "igen.")


def _read_part(book: zipfile.ZipFile, info: zipfile.ZipInfo, name: str,
               limit: int = HIDDEN_PART_BYTES) -> bytes:
    """A part's bytes (at most *limit*), or a Swedish DataError if the zip is broken there."""
    try:
        with book.open(info) as stream:
            return stream.read(limit)
    except _ZIP_ERRORS:
        raise _broken(name) from None


@dataclass(frozen=True)
class Limits:
    """How large a file may be; see the settings ``LAGESBILD_MAX_*`` and ``LAGESBILD_LAS*``."""

    file_mb: int = 25
    unpacked_mb: int = 400
    rows: int = 500_000
    cells: int = 5_000_000
    memory_mb: int = 2048
    seconds: int = 120

    @classmethod
    def of(cls, cfg) -> "Limits":
        """The limits of a :class:`lagesbild.config.Config`."""
        return cls(cfg.max_file_mb, cfg.max_unpacked_mb, cfg.max_rows, cfg.max_cells,
                   cfg.parse_memory_mb, cfg.parse_seconds)


def _mb(size: int) -> str:
    return f"{fmt.number(size / 1024 / 1024, 1)} MB"


def check_size(data: bytes, name: str, limits: Limits) -> None:
    """Refuse a file larger than ``limits.file_mb``."""
    if len(data) > limits.file_mb * 1024 * 1024:
        raise DataError(f"{name} är för stor: {_mb(len(data))}. Högst "
                        f"{fmt.number(limits.file_mb)} MB läses in. Dela upp exporten (till "
                        "exempel en fil per månad) eller ta bort kolumner som inte behövs.")


def _column_number(letters: str) -> int:
    """"A" -> 1, "XFD" -> 16384."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _sheet_paths(book: zipfile.ZipFile) -> dict[str, str]:
    """Zip path of each worksheet -> the sheet's name as Excel shows it (.xlsx only)."""
    names: dict[str, str] = {}
    try:
        workbook = book.read("xl/workbook.xml") if \
            book.getinfo("xl/workbook.xml").file_size < 2 ** 22 else b""
        rels = book.read("xl/_rels/workbook.xml.rels") if \
            book.getinfo("xl/_rels/workbook.xml.rels").file_size < 2 ** 22 else b""
    except _ZIP_ERRORS:
        return names
    targets = {}
    for tag in _REL_TAG.finditer(rels.decode("utf-8", "replace")):
        attrs = dict(_ATTR.findall(tag.group(1)))
        target = attrs.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else \
            str(PurePosixPath("xl") / target)
        targets[attrs.get("Id")] = path
    for tag in _SHEET_TAG.finditer(workbook.decode("utf-8", "replace")):
        attrs = dict(_ATTR.findall(tag.group(1)))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        if rid in targets:
            names[targets[rid]] = html.unescape(attrs.get("name", ""))
    return names


def _dimension(book: zipfile.ZipFile, info: zipfile.ZipInfo,
               name: str) -> tuple[int, int] | None:
    """(rows, columns) a sheet's ``<dimension ref="A1:XFD1048576">`` declares, if it has one."""
    head = _read_part(book, info, name, HEAD_BYTES)
    found = _DIMENSION.search(head)
    if not found:
        return None
    col1, row1, col2, row2 = (g.decode() if g else None for g in found.groups())
    if row2 is None:  # a single cell, "A1"
        return 1, 1
    rows = int(row2) - int(row1 or 1) + 1
    columns = _column_number(col2) - _column_number(col1 or "A") + 1
    return max(rows, 1), max(columns, 1)


def _verify(data: bytes, book: zipfile.ZipFile, entries: list[zipfile.ZipInfo],
            name: str) -> None:
    """Unpack every part once (the total is already known to be within the limits) and
    refuse the file if a part's CRC-32 or size is not what its headers say, the local header
    disagrees with the central directory, or the file ends early. Python's zipfile trusts the
    central directory's size when the data ends first, and calamine reads what it finds: a
    file that lies is not read, whatever it holds."""
    for info in entries:
        total = 0
        try:
            with book.open(info) as stream:
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
            local = struct.unpack_from("<IHHHHHIII", data, info.header_offset)
        except (*_ZIP_ERRORS, struct.error):
            raise _broken(name) from None
        signature, flags, crc, size = local[0], local[2], local[6], local[8]
        lies = signature != 0x04034B50 or total != info.file_size or (
            not flags & 0x08 and size != 0xFFFFFFFF and (crc, size) != (info.CRC,
                                                                        info.file_size))
        if lies:
            log.warning("%s: zip part %s does not match its headers", name, info.filename)
            raise _broken(name)


def inspect(data: bytes, name: str, limits: Limits, safe_name=lambda text: text) -> None:
    """Refuse a workbook over a limit before it is parsed; a Swedish DataError says which.

    *safe_name* cleans a sheet name before it is put in a message (the personnummer guard's
    redaction).
    """
    check_size(data, name, limits)
    if Path(name).suffix.lower() not in ZIP_FORMATS:
        return  # .xls is not a zip: the child process is its only guard
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        entries = book.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DataError(f"{name} går inte att läsa som Excel-fil. Kontrollera att filen är "
                        "en .xlsx, .xls eller .ods.") from None
    if len(entries) > MAX_ENTRIES:
        raise DataError(f"{name} går inte att läsa: arbetsboken består av "
                        f"{fmt.number(len(entries))} delar (högst {fmt.number(MAX_ENTRIES)}). "
                        f"{_ADVICE}")
    unpacked = sum(i.file_size for i in entries)
    if unpacked > limits.unpacked_mb * 1024 * 1024:
        raise DataError(f"Arbetsboken är för stor: {name} packas upp till {_mb(unpacked)}. "
                        f"Högst {fmt.number(limits.unpacked_mb)} MB läses in. {_ADVICE}")
    for info in entries:
        if info.file_size > RATIO_FROM and \
                info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise DataError(f"{name} går inte att läsa: en del av arbetsboken är packad "
                            f"{fmt.number(ratio)} gånger (högst {fmt.number(MAX_RATIO)}), "
                            f"vilket tyder på en skadad eller konstruerad fil. {_ADVICE}")
    _verify(data, book, entries, name)
    sheets = _sheet_paths(book)
    for info in entries:
        if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
            continue
        declared = _dimension(book, info, name)
        if declared is None:
            continue
        rows, columns = declared
        label = safe_name(sheets.get(info.filename) or PurePosixPath(info.filename).stem)
        if rows > limits.rows:
            raise DataError(f"Arbetsboken är för stor: bladet ”{label}” anger "
                            f"{fmt.number(rows)} rader. Högst {fmt.number(limits.rows)} rader "
                            f"läses in. {_ADVICE}")
        if rows * columns > limits.cells:
            raise DataError(f"Arbetsboken är för stor: bladet ”{label}” anger "
                            f"{fmt.number(rows)} rader och {fmt.number(columns)} kolumner, "
                            f"{fmt.number(rows * columns)} celler. Högst "
                            f"{fmt.number(limits.cells)} celler läses in. {_ADVICE}")


class _PlainUnpickler(pickle.Unpickler):
    """Lists, dicts, tuples, text, numbers and datetime values: no other class is loaded."""

    _ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"),
                ("datetime", "timedelta")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed")


def parse(data: bytes, name: str, limits: Limits,
          safe_name=lambda text: text) -> dict[str, list[list[object]]]:
    """Every sheet's cells (rows of text, numbers, booleans, dates, None), read in a child
    process.

    Raises
    ------
    DataError
        The file is not a workbook, a sheet is over the limits, or reading it needed more
        memory or time than allowed.
    """
    command = [sys.executable, "-I", str(CHILD), str(limits.rows), str(limits.cells),
               str(limits.memory_mb)]
    try:
        done = subprocess.run(command, input=data, capture_output=True, env=_CHILD_ENV,
                              timeout=limits.seconds, check=False)
    except subprocess.TimeoutExpired:
        log.warning("reading %s took over %s s; the child process was stopped",
                    name, limits.seconds)
        unit = "sekund" if limits.seconds == 1 else "sekunder"
        raise DataError(f"{name} tog för lång tid att läsa (mer än "
                        f"{fmt.number(limits.seconds)} {unit}) och läsningen avbröts. "
                        f"{_ADVICE}") from None
    if done.returncode != 0 or not done.stdout:
        first = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        log.warning("reading %s: child process ended with %s (%s)", name, done.returncode,
                    first[0][:200] if first else "no message")
        raise DataError(f"{name} kunde inte läsas: läsningen behövde mer än "
                        f"{fmt.number(limits.memory_mb)} MB minne eller avbröts. Filen har "
                        f"troligen celler långt utanför tabellen eller är skadad. {_ADVICE}")
    try:
        result = _PlainUnpickler(io.BytesIO(done.stdout)).load()
    except Exception:
        log.exception("reading %s: the child process's answer is not readable", name)
        raise DataError(f"{name} går inte att läsa som Excel-fil.") from None
    if result[0] == "too_big":
        _, sheet, rows, columns = result
        raise DataError(f"Arbetsboken är för stor: bladet ”{safe_name(sheet)}” har "
                        f"{fmt.number(rows)} rader och {fmt.number(columns)} kolumner. "
                        f"Högst {fmt.number(limits.rows)} rader och "
                        f"{fmt.number(limits.cells)} celler läses in. {_ADVICE}")
    if result[0] != "ok":
        log.info("reading %s: %s", name, done.stderr[-500:].decode("utf-8", "replace"))
        raise DataError(f"{name} går inte att läsa som Excel-fil. Kontrollera att filen är "
                        "en .xlsx, .xls eller .ods.")
    return result[1]


def _text_of(xml: bytes, joiner: str = " | ") -> str:
    """The text of an XML part, entities resolved. Between elements *joiner*: "|" keeps a
    chart's or a cache's neighbouring numbers apart (no personnummer is written across a
    "|"); "" joins a comment's runs of rich text, which an attacker may split a number over.
    """
    return html.unescape(_TAG.sub(joiner, xml.decode("utf-8", "replace")))


def hidden_places(data: bytes, name: str) -> tuple[dict[str, list[str]], set[str]]:
    """The texts a workbook holds where its reader may not look, and its hidden sheets.

    Returns ``({Swedish place: [texts]}, {names of hidden sheets})``: cell comments (notes
    and threaded comments), document properties (core, app, custom; ``meta.xml`` in .ods),
    defined names (name and value) and every other part of an .xlsx but the cells (links,
    charts, pivot caches, data validation, headers and footers). The cells are read by
    :func:`parse`.
    A broken zip is a Swedish DataError.
    """
    places: dict[str, list[str]] = {"en cellkommentar": [], "dokumentegenskaperna": [],
                                    "ett definierat namn": [], OTHER: []}
    hidden: set[str] = set()
    if Path(name).suffix.lower() not in ZIP_FORMATS:
        return places, hidden
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        entries = book.infolist()
    except _ZIP_ERRORS:
        raise _broken(name) from None
    for info in entries:
        path = info.filename
        if _COMMENT_PART.fullmatch(path):
            places["en cellkommentar"].append(_text_of(_read_part(book, info, name), ""))
        elif _PROPERTY_PART.fullmatch(path):
            places["dokumentegenskaperna"].append(_text_of(_read_part(book, info, name)))
        elif path == "content.xml":  # .ods: comments are annotations inside the content
            xml = _read_part(book, info, name, 4 * HIDDEN_PART_BYTES).decode("utf-8", "replace")
            places["en cellkommentar"] += [_text_of(a.encode(), "")
                                           for a in _ODS_ANNOTATION.findall(xml)]
        elif path == "xl/workbook.xml" or not path.startswith("xl/"):
            pass  # the workbook below; .ods parts and the package's own files
        elif path.endswith((".xml", ".rels", ".vml")) and path != "xl/sharedStrings.xml":
            # Everything else may carry text too: links, charts, a pivot table's cache of a
            # deleted sheet, data validation lists, headers and footers. A worksheet's cells
            # are read by parse; the rest of its XML is searched here.
            xml = _read_part(book, info, name, 16 * HIDDEN_PART_BYTES)
            if path.startswith("xl/worksheets/"):
                start, end = xml.find(b"<sheetData"), xml.rfind(b"</sheetData>")
                xml = xml[:start] + xml[end:] if 0 <= start < end else xml
            places[OTHER].append(_text_of(xml) + " | " + " | ".join(
                html.unescape(v) for v in _ATTR_VALUE.findall(xml.decode("utf-8", "replace"))))
        if path == "xl/workbook.xml":
            xml = _read_part(book, info, name).decode("utf-8", "replace")
            for attrs, value in _DEFINED_NAME.findall(xml):
                places["ett definierat namn"].append(
                    " ".join([*dict(_ATTR.findall(attrs)).values(), html.unescape(value)]))
            for tag in _SHEET_TAG.finditer(xml):
                attrs = dict(_ATTR.findall(tag.group(1)))
                if attrs.get("state") in ("hidden", "veryHidden"):
                    hidden.add(html.unescape(attrs.get("name", "")))
    return places, hidden
