"""The periods a user can choose for a map or table: month, quarter, year, rolling 12 months."""

from __future__ import annotations

import re

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate
from lagesbild.errors import UnknownError

PERIOD_KINDS = {"rullande": "Rullande 12 månader", "ar": "År", "kvartal": "Kvartal",
                "manad": "Månad"}


def period_options(kind: str, months: list[pd.Timestamp], latest: pd.Timestamp) -> list[str]:
    """The periods of *kind* the data cover, newest first, as codes for ``parse_period``.

    Only whole periods: a rolling window, quarter or year that reaches before the first month
    of data, or past the latest complete one, would hold fewer months than its name says and
    look like a drop.
    """
    done = sorted({pd.Timestamp(m) for m in months if pd.Timestamp(m) <= latest})
    if not done:
        return []
    first, last = done[0], done[-1]
    if kind == "manad":
        return [m.strftime("%Y-%m") for m in reversed(done)]
    if kind == "rullande":
        full = first + pd.DateOffset(months=11)
        return [m.strftime("%Y-%m") for m in reversed(done) if m >= full]
    if kind == "kvartal":
        return sorted({f"{m.year}-Q{m.month // 3}" for m in done if m.month % 3 == 0
                       and m - pd.DateOffset(months=2) >= first}, reverse=True)
    if kind == "ar":
        return [str(y) for y in sorted({m.year for m in done}, reverse=True)
                if pd.Timestamp(y, 1, 1) >= first and pd.Timestamp(y, 12, 1) <= last]
    raise UnknownError(f"Okänd periodtyp ”{kind}”. Möjliga: {', '.join(PERIOD_KINDS)}.")


def parse_period(kind: str, code: str) -> aggregate.Period:
    """``rullande 2025-03``, ``manad 2025-03``, ``kvartal 2025-Q1``, ``ar 2024`` → Period."""
    code = str(code).strip()
    if kind in ("manad", "rullande") and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", code):
        month = pd.Timestamp(code + "-01")
        return aggregate.Period.month(month) if kind == "manad" else \
            aggregate.Period.rolling12(month)
    match = re.fullmatch(r"(\d{4})-?[QqKk]([1-4])", code)
    if kind == "kvartal" and match:
        year, q = int(match.group(1)), int(match.group(2))
        start = pd.Timestamp(year=year, month=3 * q - 2, day=1)
        return aggregate.Period(start, start + pd.DateOffset(months=2))
    if kind == "ar" and re.fullmatch(r"\d{4}", code):
        return aggregate.Period.year(int(code))
    examples = {"manad": "2025-03", "rullande": "2025-03", "kvartal": "2025-Q1", "ar": "2024"}
    if kind not in examples:
        raise UnknownError(f"Okänd periodtyp ”{kind}”. Möjliga: {', '.join(PERIOD_KINDS)}.")
    raise UnknownError(f"Perioden ”{code}” går inte att läsa; skriv till exempel "
                       f"{examples[kind]}.")


def period_label(kind: str, code: str) -> str:
    period = parse_period(kind, code)
    if kind == "kvartal":
        return f"kvartal {code[-1]} {period.start.year}"
    if kind == "ar":
        return code
    return fmt.period(period.start, period.end)
