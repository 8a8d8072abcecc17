"""``rapport``: the report of a month or a quarter as a slide deck, PDF, Markdown or Word."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from lagesbild import fmt
from lagesbild.cli.common import open_store
from lagesbild.cli.parser import UsageError
from lagesbild.config import Config
from lagesbild.errors import LagesbildError


def report_inputs(cfg: Config, engine, kind: str, code: str, typ: str,
                  version: int | None = None):
    """The report of a period and the inputs of its files (``views.report_inputs``; also the
    benchmark's way in)."""
    from lagesbild.views import report_inputs as made

    return made.inputs(cfg, engine, kind, code, typ, version)


def cmd_rapport(args, cfg: Config) -> int:
    from lagesbild.analysis import aggregate
    from lagesbild.store import audit
    from lagesbild.views import report_files

    if (args.manad is None) == (args.kvartal is None):
        raise UsageError("Ange en period: --manad ÅÅÅÅ-MM eller --kvartal ÅÅÅÅ-Qn (en av dem).")
    if args.manad is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.manad):
        raise UsageError(f"--manad ska skrivas ÅÅÅÅ-MM, till exempel 2026-10, inte "
                         f"”{args.manad}”.")
    if args.kvartal is not None and not re.fullmatch(r"\d{4}-[Qq][1-4]", args.kvartal):
        raise UsageError(f"--kvartal ska skrivas ÅÅÅÅ-Qn, till exempel 2026-Q3, inte "
                         f"”{args.kvartal}”.")
    out = Path(args.ut)
    form = args.format or out.suffix.lstrip(".").lower()
    if form not in report_files.MIME:
        raise UsageError("Ange --format pptx, pdf, md eller docx (eller en fil med den "
                         "ändelsen).")
    report_files.check_format(args.typ, form)
    if not out.parent.exists():
        raise UsageError(f"Mappen {out.parent} finns inte.")
    kind, code = ("manad", args.manad) if args.manad else ("kvartal", args.kvartal.upper())
    engine = open_store(cfg)
    built, inputs = report_inputs(cfg, engine, kind, code, args.typ, args.version)
    if not built.sections:
        raise LagesbildError(f"Det finns inga data för {built.label}.")
    latest = max((aggregate.latest_complete_month(f) for f in inputs.counts.values()
                  if not f.empty), default=None)
    if latest is not None and built.period.end > latest:
        raise LagesbildError(f"{built.label.capitalize()} är inte avslutad i data (senaste hela "
                             f"månaden är {fmt.month(latest)}).")
    out.write_bytes(report_files.write(built, form, cfg, inputs))
    audit.record(engine, getpass.getuser(), "export", {"vad": built.title, "period": code,
                                                        "format": form, "fil": out.name})
    print(f"Skrev {out}: {built.title}.")
    return 0


def add(sub) -> None:
    """Declare rapport."""
    p = sub.add_parser("rapport", help="Skriv lägesbilden för en månad eller ett kvartal som "
                                       "bildspel, PDF, Markdown eller Word.")
    p.add_argument("--manad", help="En månad, ÅÅÅÅ-MM (ledningsgruppen).")
    p.add_argument("--kvartal", help="Ett kvartal, ÅÅÅÅ-Qn (socialnämnden).")
    p.add_argument("--typ", required=True, choices=["ledningsgrupp", "namnd", "nyhetsbrev",
                                                    "est"],
                   help="ledningsgrupp, namnd, nyhetsbrev eller est (EST-lägesbilden).")
    p.add_argument("--format", choices=["pptx", "pdf", "md", "docx"],
                   help="Filformat (standard: filändelsen).")
    p.add_argument("--ut", required=True, metavar="FILE", help="Filen att skriva.")
    p.add_argument("--version", type=int, metavar="N",
                   help="Publiceringens version för periodens sista månad (standard: den "
                        "senaste). Samma månad och version ger samma rapport.")
    p.set_defaults(func=cmd_rapport)
