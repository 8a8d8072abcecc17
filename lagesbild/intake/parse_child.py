"""The child process that parses a workbook: ``python -I parse_child.py ROWS CELLS MEMORY_MB``.

Run by :mod:`lagesbild.intake.workbook`, never imported. It caps its own address space and
core dumps first, then reads the workbook's bytes from stdin with python-calamine and writes
one pickle to stdout: ``("ok", {sheet: rows})``, ``("too_big", sheet, rows, columns)`` or
``("unreadable",)``. A workbook that still asks for too much memory (calamine allocates a
sheet's whole rectangle, so one cell at XFD1048576 asks for 549 GB) aborts this process
only; the parent turns that into a Swedish message. Cells are text, numbers, booleans,
None and ``datetime`` values: the parent's unpickler loads no other class.

It imports nothing from ``lagesbild``: ``-I`` keeps the package off ``sys.path``.
"""

import pickle
import sys


def _limit(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the child still keeps a crash off the server
        return
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _shared(rows: list[list]) -> list[list]:
    """*rows* with equal texts and floats as one object each: an export repeats a few
    hundred values over 100 000 rows, and pickle then writes (and the parent reads) each once.
    On 100 000 rows of six columns this halves what the child costs (0.7 -> 0.35 s)."""
    texts: dict[str, str] = {}
    floats: dict[float, float] = {}
    return [[texts.setdefault(c, c) if type(c) is str else
             floats.setdefault(c, c) if type(c) is float else c for c in row] for row in rows]


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
            sheets[name] = _shared(sheet.to_python(skip_empty_area=False))
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
