"""The child process that parses a workbook: ``python -I parse_child.py ROWS CELLS MEMORY_MB``.

Run by :mod:`lagesbild.intake.workbook`, never imported. It caps its own address space and
core dumps first, then reads the workbook's bytes from stdin with python-calamine and writes
one pickle to stdout: ``("ok", {sheet: rows})``, ``("too_big", sheet, rows, columns)`` or
``("unreadable",)``. A workbook that still asks for too much memory (calamine allocates a
sheet's whole rectangle, so one cell at XFD1048576 asks for 549 GB) aborts this process
only; the parent turns that into a Swedish message. Cells leave as plain types (text,
numbers, booleans, None; dates as ISO text) so that the parent can unpickle them without
loading any class.

It imports nothing from ``lagesbild``: ``-I`` keeps the package off ``sys.path``.
"""

import datetime as dt
import pickle
import resource
import sys


def _limit(memory_mb: int) -> None:
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (dt.date, dt.time, dt.timedelta)):
        return str(value)
    return value


def main() -> int:
    max_rows, max_cells, memory_mb = (int(a) for a in sys.argv[1:4])
    _limit(memory_mb)
    data = sys.stdin.buffer.read()
    import io

    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        del data
        sheets = {}
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            height, width = sheet.height, sheet.width
            if height > max_rows or height * width > max_cells:
                result = ("too_big", name, height, width)
                break
            sheets[name] = [[_plain(c) for c in row]
                            for row in sheet.to_python(skip_empty_area=False)]
        else:
            result = ("ok", sheets)
    except MemoryError:
        raise
    except Exception as exc:  # calamine raises several types for broken files
        print(f"{type(exc).__name__}: {exc}"[:500], file=sys.stderr)
        result = ("unreadable",)
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
