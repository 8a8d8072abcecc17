"""Commands that bring data in and publish it: ``load-demo``, ``import``, ``publicera``,
``batches`` and ``undo``.

Reading a file (intake) and writing the store are imported inside the handlers, so that
declaring these commands (``--help``) costs nothing.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lagesbild import fmt
from lagesbild.cli.common import confirmed, notice, open_store, say
from lagesbild.cli.parser import UsageError
from lagesbild.config import Config
from lagesbild.errors import DataError, UnknownError

if TYPE_CHECKING:
    from lagesbild.store import ingest


def cmd_load_demo(args, cfg: Config) -> int:
    from lagesbild.store import ingest

    engine = ingest.connect(cfg)
    for done in ingest.load_demo(engine, cfg):
        print(f"{done.source}: {done.rows_read} rader lästa, {done.rows_stored} sparade "
              f"(batch {done.batch_id}).")
    return 0


def _report(plan: ingest.Plan, label: str) -> None:
    """Print what an import would do (or why it cannot)."""
    from lagesbild.store import ingest

    source = ", ".join(x for x in (plan.source_system, plan.profile and f"profil {plan.profile}",
                                   plan.extracted and f"uttag {plan.extracted}") if x)
    say(f"Fil: {plan.source}" + (f" ({source})" if source else ""))
    say(f"Mått: {label}")
    say(f"Rader lästa: {fmt.number(plan.rows_read)}")
    if plan.dropped_columns:
        say(f"Kolumner som inte sparas: {', '.join(plan.dropped_columns)}")
    if plan.ok:
        say(f"Rader som sparas: {fmt.number(plan.rows_kept)} (summerade per månad och "
            "dimension)" if plan.measure != ingest.POPULATION else
            f"Rader som sparas: {fmt.number(plan.rows_kept)}")
        unit = "år" if plan.measure == ingest.POPULATION else "månader"
        say(f"Påverkade {unit}: {len(plan.added)} nya, {len(plan.replaced)} ersätts "
            f"({plan.counted.lower()} före → efter)")
        for c in plan.changes:
            before = fmt.number(c.before) if c.replaces else "–"
            say(f"  {c.period}  {'ersätts' if c.replaces else 'ny':8} "
                f"{before:>8} → {fmt.number(c.after)}")
    else:
        say(f"Problem ({fmt.number(len(plan.problems))}):")
        for problem in plan.problems:
            say(f"  {problem}")
        for column, values in plan.unknown.items():
            say(f"Okända värden i ”{column}”: {', '.join(values)}. Mappa dem på sidan Data "
                "eller under varden i profilen.")


def cmd_import(args, cfg: Config) -> int:
    from lagesbild import store
    from lagesbild.intake import dates, personnummer, profiles
    from lagesbild.store import audit, ingest

    cat = cfg.catalogue
    label = "Befolkning" if args.matt == ingest.POPULATION else cat.measure(args.matt).label
    extracted = None
    if args.uttag:
        try:
            extracted = dt.date.fromisoformat(args.uttag)
        except ValueError:
            raise UsageError(f"--uttag ska skrivas ÅÅÅÅ-MM-DD, inte "
                             f"”{fmt.clean(args.uttag, newlines=False)}”.") from None
        if late := dates.extraction_problem(extracted):
            raise UsageError(f"--uttag: {late}")
    if args.profil:
        profile = profiles.find(cfg.profiles, args.profil, cat)
        if profile.measure != args.matt:
            raise UsageError(f"Profilen {profile.name} gäller {profile.measure}, "
                             f"inte {args.matt}.")
    else:
        found, broken = profiles.scan(cfg.profiles, cat, args.matt)
        for warning in broken:  # a broken profile is named and skipped, never blocks
            print(f"varning: {warning}", file=sys.stderr)
        profile = profiles.match(found, args.fil, args.matt)
    path = Path(args.fil)
    try:
        data = path.read_bytes()
    except OSError as exc:
        shown = fmt.clean(personnummer.redact(str(path)), newlines=False)
        raise DataError(f"{shown} går inte att läsa ({exc.strerror}).") from None
    engine = ingest.connect(cfg)
    if store.is_new(engine):
        notice(f"Databasen {engine.url.render_as_string(hide_password=True)} fanns inte; en "
               "ny, tom databas har skapats.")
    plan = ingest.plan(engine, cfg, data, path.name, args.matt, profile=profile,
                       extracted=extracted)
    _report(plan, label)
    if not plan.ok:
        raise DataError(f"{plan.source} kan inte användas ({len(plan.problems)} problem, se "
                        "ovan). Inget har sparats.")
    if args.dry_run:
        print("Provkörning (--dry-run): inget har sparats.")
        return 0
    if plan.replaced:
        periods = f"{plan.replaced[0].period} – {plan.replaced[-1].period}"
        if not confirmed(
                f"{len(plan.replaced)} perioder som redan finns ({periods}) ersätts.",
                f"Inläsningen skulle ersätta {len(plan.replaced)} perioder som redan finns "
                f"({periods}). Lägg till --ja för att bekräfta, eller --dry-run för att bara "
                "se ändringarna. Inget har sparats.", args.ja):
            print("Avbrutet. Inget har sparats.")
            return 1
    done = ingest.commit(engine, cfg, plan, created_by=ingest.who(args.vem or getpass.getuser()))
    # The audit log names the account that ran the command, whatever --vem says.
    audit.record(engine, getpass.getuser(), "import", audit.import_details(plan, done.batch_id)
                 | {"via": "kommandoraden", "vem": ingest.who(args.vem) if args.vem else None},
                 keep_days=cfg.audit_days)
    print(f"Sparade batch {done.batch_id}: {fmt.number(done.rows_stored)} rader. "
          f"Ångra med: python -m lagesbild undo {done.batch_id}")
    return 0


def _batches(cfg: Config):
    """The store (which must exist) and its batches as the Data page lists them."""
    from lagesbild import store
    from lagesbild.present import tables
    from lagesbild.store import opening

    engine = opening.connect(cfg, create=False)
    return engine, tables.batches(store.read_batches(engine), cfg.catalogue)


def cmd_batches(args, cfg: Config) -> int:
    _, table = _batches(cfg)
    if table.empty:
        print("Inga inläsningar ännu.")
    else:
        say(table.to_string(index=False))
    return 0


def cmd_undo(args, cfg: Config) -> int:
    from lagesbild import store
    from lagesbild.store import audit, ingest

    engine, found = _batches(cfg)
    row = found[found["Batch"] == args.batch]
    if row.empty:
        raise UnknownError(f"Det finns ingen batch {args.batch}. "
                           "Se python -m lagesbild batches.")
    b = row.iloc[0]
    if b["Status"] != "aktiv":
        raise DataError(f"Batch {args.batch} är redan {b['Status']}. Inget har ändrats.")
    what = fmt.clean(f"batch {b['Batch']} ({b['Mått']}, {b['Fil']}, {b['Period']}, "
                     f"{b['Rader sparade']} rader)", newlines=False)
    if not confirmed(f"Ta bort {what}?",
                     f"Att ångra {what} kräver bekräftelse: lägg till --ja.", args.ja):
        print("Avbrutet. Inget har ändrats.")
        return 1
    gone = store.undo(engine, args.batch, undone_by=ingest.who(args.vem or getpass.getuser()))
    audit.record(engine, getpass.getuser(), "angra",
                 {"batch": args.batch, "matt": gone["measure"], "fil": gone["source"],
                  "via": "kommandoraden"}, keep_days=cfg.audit_days)
    say(f"Tog bort {what}. Perioder som den ersatte visar åter den tidigare inläsningen.")
    return 0


def _listed(engine, cfg: Config) -> None:
    """``publicera --lista``: the releases as CSV."""
    import pandas as pd

    from lagesbild.store import releases

    rows = [{"manad": r.month, "version": r.version,
             "publicerad": pd.Timestamp(r.created_at).strftime("%Y-%m-%d %H:%M"),
             "av": r.created_by,
             "levererat": " ".join(m for m in cfg.catalogue.measures if r.delivered(m)),
             "inga_uppgifter": " ".join(m for m in cfg.catalogue.measures
                                        if not r.delivered(m))}
            for r in releases.listed(engine)]
    pd.DataFrame(rows, columns=["manad", "version", "publicerad", "av", "levererat",
                                "inga_uppgifter"]).to_csv(sys.stdout, index=False,
                                                          lineterminator="\n")


def cmd_publicera(args, cfg: Config) -> int:
    from lagesbild.release import publish
    from lagesbild.store import audit, ingest

    engine = open_store(cfg)
    if args.lista:
        _listed(engine, cfg)
        return 0
    if not args.manad:
        raise UsageError("Ange vilken månad som ska publiceras: --manad ÅÅÅÅ-MM.")
    month = str(args.manad)
    for s in publish.status(engine, cfg, month):
        state = "levererat" if s.delivered else "inga uppgifter"
        note = " (ändrat sedan förra publiceringen)" if s.changed_since else ""
        print(f"  {s.label}: {state}{note}", file=sys.stderr)
    who = ingest.who(args.vem or getpass.getuser())
    done = publish.publish_month(engine, cfg, month, created_by=who)
    audit.record(engine, getpass.getuser(), "publicering",
                 {"manad": month, "version": done.version, "via": "kommandoraden"},
                 keep_days=cfg.audit_days)
    missing = [cfg.catalogue.measures[m].short for m in cfg.catalogue.measures
               if not done.delivered(m)]
    say(f"Publicerade {month}, version {done.version}."
        + (f" Inga uppgifter för {', '.join(missing)}." if missing else ""))
    return 0


def add(sub) -> None:
    """Declare load-demo, import, publicera, batches and undo."""
    p = sub.add_parser("load-demo", help="Läs in demofilerna i databasen.")
    p.set_defaults(func=cmd_load_demo)

    p = sub.add_parser("import", help="Läs in en fil: kontrollera, visa ändringarna, spara.")
    p.add_argument("fil", metavar="FILE", help="Excel (.xlsx, .xls, .ods) eller CSV.")
    p.add_argument("--matt", required=True, metavar="MEASURE",
                   help="Måttets id (t.ex. orosanmalningar) eller befolkning.")
    p.add_argument("--profil", metavar="NAME",
                   help="Källprofil (namn i profilmappen eller sökväg till YAML). Utan den "
                        "väljs en profil efter filnamnet, om någon passar.")
    p.add_argument("--dry-run", action="store_true",
                   help="Visa bara vad som skulle sparas och alla problem.")
    p.add_argument("--ja", action="store_true",
                   help="Bekräfta i förväg att befintliga månader ersätts.")
    p.add_argument("--uttag", metavar="ÅÅÅÅ-MM-DD",
                   help="Uttagsdatum (annars det som står i filens rubrikrader).")
    p.add_argument("--vem", help="Vem som läser in (standard: inloggad användare).")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("publicera", help="Publicera en månad: det som levererats skyddas en "
                                         "gång och blir det som alla sidor, rapporter och "
                                         "kommandon visar.")
    p.add_argument("--manad", metavar="ÅÅÅÅ-MM", help="Månaden som ska publiceras.")
    p.add_argument("--lista", action="store_true",
                   help="Lista publiceringarna (månad, version, vad som levererats).")
    p.add_argument("--vem", help="Vem som publicerar (standard: inloggad användare).")
    p.set_defaults(func=cmd_publicera)

    p = sub.add_parser("batches", help="Lista inläsningarna (batcher), även ångrade.")
    p.set_defaults(func=cmd_batches)

    p = sub.add_parser("undo", help="Ångra en inläsning (batchens rader tas bort, batchen "
                                    "listas som ångrad).")
    p.add_argument("batch", metavar="BATCH_ID", type=int, help="Batchens nummer.")
    p.add_argument("--ja", action="store_true", help="Bekräfta i förväg.")
    p.add_argument("--vem", help="Vem som ångrar (standard: inloggad användare).")
    p.set_defaults(func=cmd_undo)
