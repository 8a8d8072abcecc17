"""Every file a clear answer (issue 23): broken zips get a Swedish refusal, not "Något gick
fel"; ordinary Windows exports (BOM and mixed line ends, UTF-16) are read."""

import io
import os
import struct
import zipfile
from contextlib import redirect_stderr, redirect_stdout

import pytest
from conftest import small_store
from hostile import workbook

from lagesbild.cli import main
from lagesbild.intake import load
from lagesbild.store import ingest

SHEET = "xl/worksheets/sheet1.xml"


def _patched(data: bytes, member: str, crc: int | None = None, size: int | None = None,
             local: bool = True) -> bytes:
    """*data* with *member*'s CRC-32 or unpacked size rewritten (in the central directory,
    and in the local header if *local*): a zip whose headers lie."""
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    name = member.encode()
    central = 0
    while True:  # the central directory entry of *member*
        central = out.index(b"PK\x01\x02", central)
        length = struct.unpack_from("<H", out, central + 28)[0]
        if out[central + 46:central + 46 + length] == name:
            break
        central += 4
    places = [(central, 16)] + ([(info.header_offset, 14)] if local else [])
    for start, at in places:
        if crc is not None:
            struct.pack_into("<I", out, start + at, crc)
        if size is not None:
            struct.pack_into("<I", out, start + at + 8, size)
    return bytes(out)


GOOD = workbook()
BROKEN = {
    "fel kontrollsumma": _patched(GOOD, SHEET, crc=0x12345678),
    "för liten storlek": _patched(GOOD, SHEET, size=10),
    "för stor storlek": _patched(GOOD, SHEET, size=10_000),
    "bara centralkatalogen ljuger": _patched(GOOD, SHEET, crc=1, size=50, local=False),
    "arbetsboken fel kontrollsumma": _patched(GOOD, "xl/workbook.xml", crc=7),
    "egenskaper fel kontrollsumma": _patched(GOOD, "docProps/core.xml", crc=7),
    "avklippt": GOOD[:len(GOOD) // 2],
    "avklippt slut": GOOD[:-30],
    "bara början": GOOD[:200],
    "skräp": b"PK\x03\x04" + os.urandom(3000),
}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    cfg, engine = small_store(f"sqlite:///{folder / 'store.sqlite'}")
    return cfg, engine, folder


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_broken_zip_gets_a_swedish_refusal_and_exit_1(small, kind, monkeypatch):
    cfg, engine, folder = small
    path = folder / f"{kind}.xlsx"
    path.write_bytes(BROKEN[kind])
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setenv("LAGESBILD_DB_URL", cfg.db_url)  # the other tests keep theirs
    monkeypatch.setenv("LAGESBILD_LOGG", str(folder / "lagesbild.log"))
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["import", str(path), "--matt", "vald_i_nara_relation", "--ja"])
    text = out.getvalue() + err.getvalue()
    assert code == 1, text
    assert "går inte att läsa som Excel-fil" in text or "kunde inte läsas" in text, text
    assert "Något gick fel" not in text and "Traceback" not in text and "CRC" not in text


ROWS = [["Inkomstdatum", "Postnummer", "Kön", "Ålder", "Aktualiseringsorsak", "Anmälare"],
        ["2023-01-05", "972 31", "Flicka", "4", "Våld mot barnet", "Polis"],
        ["2023-01-06", "972 31", "Pojke", "7", "Skolfrånvaro", "Skola"],
        ["2023-01-07", "973 33", "Flicka", "12", "Övrigt", "Anhörig/närstående"],
        ["2023-01-08", "973 33", "Pojke", "15", "Barnets missbruk", "Polis"]]


def _text(delimiter=";", ends=("\r\n",)) -> str:
    lines = [delimiter.join(r) for r in ROWS]
    return "".join(line + ends[i % len(ends)] for i, line in enumerate(lines))


CSV = {
    "utf-8 med BOM, blandade radslut": b"\xef\xbb\xbf" + _text(ends=("\r\n", "\n", "\r"))
    .encode(),
    "utf-8 med BOM, bara CR": b"\xef\xbb\xbf" + _text(ends=("\r",)).encode(),
    "utf-16 med BOM": _text("\t").encode("utf-16"),
    "utf-16le utan BOM": _text("\t").encode("utf-16-le"),
    "utf-16le utan BOM, semikolon": _text().encode("utf-16-le"),
    "utf-16be med BOM": b"\xfe\xff" + _text().encode("utf-16-be"),
    "cp1252, blandade radslut": _text(ends=("\n", "\r\n")).encode("cp1252"),
}


@pytest.mark.parametrize("kind", list(CSV))
def test_ordinary_windows_csv_exports_are_read(small, kind):
    cfg, engine, _ = small
    [sheet] = load.read_export(CSV[kind], "oros.csv", cfg.catalogue.measure("orosanmalningar"))
    assert len(sheet.frame) == 4
    assert sheet.frame["postnummer"].tolist() == ["972 31", "972 31", "973 33", "973 33"]
    assert sheet.frame["anmalare"].iloc[2] == "Anhörig/närstående"
    plan = ingest.plan(engine, cfg, CSV[kind], "oros.csv", "orosanmalningar")
    assert plan.ok, plan.problems
    assert plan.rows_read == 4
