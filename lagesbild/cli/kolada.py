"""``kolada hamta``, ``visa`` and ``las-in``: comparison figures from Kolada (the nation, the
county, similar municipalities)."""

from __future__ import annotations

import dataclasses
import getpass
import sys
from pathlib import Path

from lagesbild import fmt
from lagesbild.cli.common import notice, say
from lagesbild.cli.parser import _Parser
from lagesbild.config import Config
from lagesbild.errors import DataError, UnknownError


def cmd_kolada_fetch(args, cfg: Config) -> int:
    from lagesbild.intake import kolada
    from lagesbild.store import audit, opening
    from lagesbild.store import kolada as kolada_cache

    comp = kolada.load_comparison(cfg.jamforelse, cfg.catalogue)
    unknown = [k for k in args.kpi if k not in comp.kpis]
    if unknown:
        raise UnknownError(f"Nyckeltalet {unknown[0]} finns inte i jämförelsekatalogen "
                           f"({cfg.jamforelse.name}). Kända: {', '.join(comp.kpis)}.")
    years = kolada.parse_years(args.ar)
    engine = opening.connect(cfg)
    client = kolada.Client(args.url or cfg.kolada_url, cfg.kolada_timeout)
    done = kolada_cache.fetch(engine, client, comp, years, args.kpi or None)
    if note := kolada_cache.unknown_note(done.unknown, cfg.jamforelse.name):
        notice(note)
    audit.record(engine, getpass.getuser(), "kolada",
                 {"via": "kommandoraden", "ar": f"{years[0]}–{years[-1]}",
                  "nyckeltal": done.kpis, "rader": done.rows}, keep_days=cfg.audit_days)
    print(f"Hämtade {fmt.number(done.rows)} värden för {fmt.number(len(done.kpis))} nyckeltal "
          f"({years[0]}–{years[-1]}) från Kolada.")
    if done.group is not None:
        print(f"Liknande kommuner: {done.group.title}"
              + (f" ({done.group.id})" if done.group.id else "") + ".")
    return 0


def cmd_kolada_show(args, cfg: Config) -> int:
    from lagesbild.intake import kolada
    from lagesbild.store import opening
    from lagesbild.store import kolada as kolada_cache
    from lagesbild.views import comparison

    comp = kolada.load_comparison(cfg.jamforelse, cfg.catalogue)
    engine = opening.connect(cfg)
    comp = dataclasses.replace(comp, areas_named=kolada_cache.read_areas(engine))
    values = kolada_cache.read_values(engine, [args.kpi])
    if values.empty:
        raise DataError(f"Inga värden för {args.kpi} är hämtade. Kör python -m lagesbild "
                        "kolada hamta --ar 2020-2025, eller läs in Koladas export.")
    sys.stdout.write(comparison.to_csv(values, comp, args.kpi))
    return 0


def cmd_kolada_import(args, cfg: Config) -> int:
    from lagesbild.intake import kolada, kolada_export, load
    from lagesbild.store import audit, opening
    from lagesbild.store import kolada as kolada_cache

    comp = kolada.load_comparison(cfg.jamforelse, cfg.catalogue)
    path = Path(args.fil)
    if not path.is_file():
        raise DataError(f"Filen {path} finns inte.")
    read = kolada_export.read(path.read_bytes(), path.name, comp, load.Limits.of(cfg))
    for line in read.skipped:
        notice(line)
    engine = opening.connect(cfg)
    rows = kolada_cache.write_values(engine, read.values, fmt.clean(path.name, newlines=False))
    kpis = sorted(set(read.values["kpi"]))
    audit.record(engine, getpass.getuser(), "kolada",
                 {"via": "kommandoraden", "fil": path.name, "nyckeltal": kpis, "rader": rows},
                 keep_days=cfg.audit_days)
    say(f"Läste in {fmt.number(rows)} värden för {', '.join(kpis)} från {path.name}.")
    return 0


def add(sub) -> None:
    """Declare kolada and its three subcommands."""
    p = sub.add_parser("kolada", help="Jämförelsetal från Kolada (riket, länet, liknande "
                                      "kommuner).")
    kol = p.add_subparsers(dest="kolada", required=True, parser_class=_Parser)
    k = kol.add_parser("hamta", help="Hämta katalogens nyckeltal från Koladas API till "
                                     "databasen.")
    k.add_argument("--ar", required=True, help="År, t.ex. 2020-2025 eller 2022,2024.")
    k.add_argument("--kpi", action="append", default=[], metavar="KPI",
                   help="Bara detta nyckeltal (kan upprepas). Standard: hela katalogen.")
    k.add_argument("--url", help="Koladas adress (standard: LAGESBILD_KOLADA_URL).")
    k.set_defaults(func=cmd_kolada_fetch)
    k = kol.add_parser("visa", help="Skriv ett nyckeltals hämtade värden som CSV.")
    k.add_argument("kpi", metavar="KPI", help="Nyckeltalets id, t.ex. N31816.")
    k.set_defaults(func=cmd_kolada_show)
    k = kol.add_parser("las-in", help="Läs in Koladas egen Excel- eller CSV-export.")
    k.add_argument("fil", metavar="FILE", help="Exporten från kolada.se.")
    k.set_defaults(func=cmd_kolada_import)
