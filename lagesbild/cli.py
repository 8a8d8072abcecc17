"""Command line: ``python -m lagesbild COMMAND``. Messages in Swedish; exit 2 for usage errors.

Long because every command's argparse declaration sits beside its short handler, so one file
reads as the command reference; the numbers come from ``views`` like the pages'.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import getpass
import logging
import os
import re
import sys
from pathlib import Path

import pandas as pd

from lagesbild import fmt, logs, store
from lagesbild.analysis import aggregate, periods
from lagesbild.config import Config
from lagesbild.errors import DataError, LagesbildError, UnknownError
from lagesbild.geo import groupings
from lagesbild.intake import dates, load, personnummer, profiles
from lagesbild.present import tables
from lagesbild.release import disclosure, publish
from lagesbild.store import audit, ingest, process
from lagesbild.views import areas as area_views
from lagesbild.views import source

log = logging.getLogger("lagesbild")


class UsageError(LagesbildError):
    """Wrong arguments: exit code 2."""


# argparse's own English, in Swedish: its error messages (Python 3.11–3.13 wording) …
_ARGPARSE_ERRORS = [
    (r"the following arguments are required: (.*)", r"de här argumenten saknas: \1"),
    (r"unrecognized arguments: (.*)", r"okända argument: \1"),
    (r"argument (.+?): invalid choice: (.*?) \(choose from (.*)\)",
     r"argumentet \1: \2 finns inte (välj bland \3)"),
    (r"argument (.+?): expected one argument", r"argumentet \1 behöver ett värde"),
    (r"argument (.+?): expected at least one argument", r"argumentet \1 behöver minst ett värde"),
    (r"argument (.+?): expected (.*) arguments?", r"argumentet \1 behöver fler värden"),
    (r"argument (.+?): invalid int value: (.*)", r"argumentet \1: \2 är inte ett heltal"),
    (r"argument (.+?): invalid float value: (.*)", r"argumentet \1: \2 är inte ett tal"),
    (r"argument (.+?): invalid (.*) value: (.*)", r"argumentet \1: ogiltigt värde \3"),
    (r"argument (.+?): not allowed with argument (.*)", r"argumentet \1 går inte ihop med \2"),
    (r"argument (.+?): ignored explicit argument (.*)", r"argumentet \1 tar inget värde (\2)"),
    (r"ambiguous option: (.+?) could match (.*)", r"flaggan \1 är tvetydig: \2"),
]
# … and the names it gives in help texts (a metavar is what --help shows for a value).
_METAVARS = {"MEASURE": "MÅTT", "FILE": "FIL", "NAME": "NAMN", "BATCH_ID": "BATCHNR"}


class _Help(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "Användning: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse in Swedish: usage line, group titles, -h and every error message."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Help)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title, self._optionals.title = "argument", "flaggor"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help="Visa den här hjälpen och avsluta.")

    def add_argument(self, *args, **kwargs):
        kwargs["metavar"] = _METAVARS.get(kwargs.get("metavar"), kwargs.get("metavar"))
        if kwargs["metavar"] is None:
            del kwargs["metavar"]
        return super().add_argument(*args, **kwargs)

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("title", "kommandon")
        kwargs.setdefault("metavar", "KOMMANDO")
        return super().add_subparsers(**kwargs)

    def error(self, message):  # our exit code and prefix
        for english, swedish in _ARGPARSE_ERRORS:
            if re.fullmatch(english, message):
                message = re.sub(english, swedish, message)
                break
        raise UsageError(f"Fel i kommandot: {message}. Se python -m lagesbild --help.")


def _period(args, frame: pd.DataFrame | None) -> aggregate.Period:
    if args.ar is not None and args.manad is not None:
        raise UsageError("Ange antingen --ar eller --manad, inte båda.")
    if args.ar is not None:
        return aggregate.Period.year(args.ar)
    if args.manad is not None:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.manad):
            raise UsageError(f"--manad ska skrivas ÅÅÅÅ-MM, till exempel 2025-03, "
                             f"inte ”{args.manad}”.")
        return aggregate.Period.month(pd.Timestamp(args.manad + "-01"))
    latest = aggregate.latest_complete_month(frame)
    if latest is None:
        raise LagesbildError("Det finns inga data för måttet ännu.")
    return aggregate.Period.rolling12(latest)


def _notice(text: str) -> None:
    print(text, file=sys.stderr)


def _open(cfg: Config):
    """The store for a command that reads: a missing SQLite file is created (and filled with
    the demo) only when LAGESBILD_DEMO is on, and the command says so on stderr."""
    return publish.open_store(cfg, create=cfg.demo, notice=_notice)


def _csv_count(value, hidden: bool, threshold: int) -> str:
    """A published count in a CSV: the number, "<5", or "inga uppgifter" for a period holding
    a month the measure did not deliver (or that is not published yet), never 0."""
    if hidden:
        return f"<{threshold}"
    return "inga uppgifter" if pd.isna(value) else str(int(value))


def cmd_summary(args, cfg: Config) -> int:
    cat = cfg.catalogue
    measure = cat.measure(args.matt)
    for dim in args.per:
        measure.check_dimension(dim)
    if args.storhet and args.storhet not in measure.variables:
        raise UnknownError(f"Måttet {measure.code} har ingen storhet ”{args.storhet}”. "
                           f"Möjliga: {', '.join(measure.variables)}.")
    engine = _open(cfg)
    if args.ar is not None or args.manad is not None:  # only those months are read
        period = _period(args, None)
        frame = source.counts(engine, cfg, measure, exact=args.exakt,
                              months=(period.start.date(), period.end.date()))
    else:
        frame = source.counts(engine, cfg, measure, exact=args.exakt)
        period = _period(args, frame)
    # The same eviction passes both stages and open debt cases are a stock: unless split by
    # it, such a dimension counts its headline category only, as the pages do.
    only = [(dim, values) for dim, values in measure.headline_filter if dim not in args.per]
    frame, _ = aggregate.apply_filters(frame, measure, aggregate.Filters(categories=tuple(only)))
    table = aggregate.summary(frame, store.read_population(engine), measure, period, args.per,
                              args.storhet)
    if args.exakt:
        _exact_warning(f"summary {measure.code}")
        shown = table.assign(antal=table["antal"].astype("int64").astype(str))
    else:
        safe = disclosure.protect(table, cfg.threshold)
        shown = safe.assign(antal=[_csv_count(n, hidden, cfg.threshold)
                                   for n, hidden in zip(safe["antal"], safe["skyddad"])])
    if "per_1000" in shown.columns:
        shown = shown.assign(per_1000=shown["per_1000"].round(2))
    columns = [*args.per, "antal", *(["per_1000"] if "per_1000" in shown.columns else [])]
    counted = f" ({measure.headline_label.lower()})" if only and measure.headline_label else ""
    print(f"# {measure.label}{counted}, {period.start:%Y-%m} – {period.end:%Y-%m}",
          file=sys.stderr)
    shown[columns].to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _area_period(args, frame: pd.DataFrame) -> tuple[str, str]:
    """--ar / --manad / --kvartal as (kind, code); by default the rolling 12 latest months."""
    given = [(k, v) for k, v in (("ar", args.ar), ("manad", args.manad),
                                  ("kvartal", args.kvartal)) if v is not None]
    if len(given) > 1:
        raise UsageError("Ange högst en av --ar, --manad och --kvartal.")
    if given:
        kind, code = given[0]
        periods.parse_period(kind, str(code))  # a Swedish usage error if malformed
        return kind, str(code)
    latest = aggregate.latest_complete_month(frame)
    if latest is None:
        raise LagesbildError("Det finns inga data för måttet ännu.")
    return "rullande", f"{latest:%Y-%m}"


def _map_view(args, cfg: Config):
    from lagesbild.geo import layers

    measure = cfg.catalogue.measure(args.matt)
    filters = _filters(args.filter, cfg, measure, headline=True)
    engine = _open(cfg)
    frame = source.counts(engine, cfg, measure)
    kind, code = _area_period(args, frame)
    grouping = groupings.load_grouping(cfg.omraden) if args.niva == "omrade" else None
    layer = layers.read_layer(cfg.shapes)
    postorter = dict(zip(layer["postnummer"], layer["postort"].fillna("")))
    shown = area_views.display_layer(layer, args.niva, grouping)
    return measure, layer, area_views.view(cfg, frame, store.read_population(engine), measure, kind,
                                      code, args.varde, args.niva, filters, shown, postorter,
                                      grouping)


def _exact_warning(what: str) -> None:
    """--exakt: say loudly that these numbers are not protected, and log who asked."""
    print("# EXAKTA VÄRDEN utan röjandekontroll: bara för den som redan har direkt åtkomst "
          "till databasen. Får inte spridas vidare eller publiceras.", file=sys.stderr)
    log.warning("exact numbers printed (%s) for user %s", what, getpass.getuser())


def _exact_areas(args, cfg: Config) -> int:
    measure = cfg.catalogue.measure(args.matt)
    filters = _filters(args.filter, cfg, measure, headline=True)
    engine = _open(cfg)
    frame = source.counts(engine, cfg, measure, exact=True)
    kind, code = _area_period(args, frame)
    grouping = groupings.load_grouping(cfg.omraden) if args.niva == "omrade" else None
    table, _ = area_views.exact_table(frame, store.read_population(engine), measure, kind,
                                      code, args.niva, filters, grouping)
    _exact_warning(f"areas {measure.code}")
    out = pd.DataFrame({
        "omrade": table["kod"], "antal": table["antal"].astype("int64"),
        "befolkning": table["befolkning"].astype("Int64") if "befolkning" in table else pd.NA,
        "per_1000": table["per_1000"].round(2) if "per_1000" in table else pd.NA})
    out.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def cmd_areas(args, cfg: Config) -> int:
    if args.exakt:
        return _exact_areas(args, cfg)
    args.varde = "antal"
    measure, _, v = _map_view(args, cfg)
    safe = v.safe
    out = pd.DataFrame({
        "omrade": safe["kod"], "namn": v.names,
        "antal": [_csv_count(n, h, cfg.threshold) for n, h in zip(safe["antal"], safe["skyddad"])],
        "befolkning": safe["befolkning"].astype("Int64") if "befolkning" in safe else pd.NA,
        "per_1000": safe["per_1000"].round(2) if "per_1000" in safe else pd.NA,
        "flagga": safe["flagga"] if "flagga" in safe else pd.NA,
    })
    print(f"# {v.caption.title}, {v.caption.subtitle}", file=sys.stderr)
    out.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def cmd_map(args, cfg: Config) -> int:
    from lagesbild.geo import layers
    from lagesbild.present import export, maps

    if args.format is None:
        args.format = Path(args.ut).suffix.lstrip(".").lower() or "png"
    if args.format not in ("png", "svg"):
        raise UsageError(f"--format ska vara png eller svg, inte ”{args.format}”.")
    measure, layer, v = _map_view(args, cfg)
    image = maps.static_map(v.coloured, v.legend, v.legend_title, layers.outline_geojson(layer))
    out = Path(args.ut)
    if args.format == "png":
        out.write_bytes(export.png(image, v.caption))
    else:
        out.write_text(export.svg(image, v.caption), encoding="utf-8")
    print(f"Skrev {out} ({v.caption.title}, {v.caption.subtitle}).")
    return 0


def _filters(items: list[str], cfg: Config, measure, headline: bool = False
             ) -> aggregate.Filters:
    """``--filter DIM=VALUE`` (repeatable; values of one dimension are alternatives).

    With *headline*, a dimension not filtered gets the catalogue's headline choice (evictions:
    applications), so stages of one case are not added up.
    """
    chosen: dict[str, list[str]] = {}
    for item in items:
        dim, sep, value = item.partition("=")
        dim, value = dim.strip(), value.strip().replace(" ", "")
        if not sep or not dim or not value:
            raise UsageError(f"--filter ska skrivas DIM=VÄRDE, till exempel kon=K, "
                             f"inte ”{item}”.")
        measure.check_dimension(dim)
        if dim == "kon":
            value = cfg.catalogue.sex_aliases.get(value.lower(), value)
        known = aggregate.categories(measure, dim)
        if known is not None and value not in known:
            raise UnknownError(f"Okänt värde ”{value}” för {dim}. Möjliga: "
                               f"{', '.join(known)}.")
        chosen.setdefault(dim, []).append(value)
    if headline:
        for dim, values in measure.headline_filter:
            chosen.setdefault(dim, list(values))
    categories = tuple((d, tuple(v)) for d, v in chosen.items()
                       if d not in ("postnummer", "kon", "aldersgrupp"))
    return aggregate.Filters(tuple(chosen.get("postnummer", ())), tuple(chosen.get("kon", ())),
                             tuple(chosen.get("aldersgrupp", ())), categories)


def cmd_chart(args, cfg: Config) -> int:
    # Imported where used: Altair and friends cost every other command a start-up.
    from lagesbild.present import export
    from lagesbild.views import figures

    measure = cfg.catalogue.measure(args.matt)
    filters = _filters(args.filter, cfg, measure)
    if args.per and args.typ not in ("fordelning", "heatmap"):
        raise UsageError("--per gäller bara --typ fordelning och heatmap.")
    out = Path(args.ut)
    if not out.parent.exists():
        raise UsageError(f"Mappen {out.parent} finns inte.")
    engine = _open(cfg)
    frame = source.counts(engine, cfg, measure)
    latest = aggregate.latest_complete_month(frame)
    if latest is None:
        raise LagesbildError("Det finns inga data för måttet ännu.")
    if args.ar is None:
        period = figures.default_period(args.typ, latest)
    elif args.typ == "ar":
        period = figures.default_period("ar", min(latest, pd.Timestamp(f"{args.ar}-12-01")))
    else:
        period = aggregate.Period.year(args.ar)
        period = aggregate.Period(period.start, min(period.end, latest))
        if period.start > period.end:
            raise LagesbildError(f"Det finns inga data för {args.ar} ännu.")
    fig = figures.figure(args.typ, frame, store.read_population(engine), measure, cfg, period,
                        dim=args.per, filters=filters, storhet=args.storhet)
    if args.format == "png":
        out.write_bytes(export.png(fig.chart, fig.caption))
    else:
        out.write_text(export.svg(fig.chart, fig.caption), encoding="utf-8")
    print(f"Skrev {out}: {fig.caption.title}, {fig.caption.subtitle}.")
    return 0


def cmd_demo(args, cfg: Config) -> int:
    from tools import demo

    files = demo.generate(Path(args.ut) if args.ut else cfg.demo_dir)
    print(f"Skrev {len(files)} demofiler (syntetiska) till {files[0].parent}. Publicerar "
          "alla månader (några minuter) …", file=sys.stderr)
    shipped = demo.publish(files[0].parent, cfg)
    print(f"Skrev {len(files) + 1} demofiler (syntetiska) till {files[0].parent}, "
          f"publiceringen i {shipped.name}.")
    return 0


def cmd_build_shapes(args, cfg: Config) -> int:
    from tools import build_shapes

    out = Path(args.ut) if args.ut else cfg.shapes
    if args.punkter:
        layer = build_shapes.build_shapes(Path(args.punkter), out,
                                          args.kommunkod or cfg.catalogue.kommunkod)
    else:
        layer = build_shapes.build_demo_shapes(out)
    print(f"Skrev {len(layer)} postnummerområden till {out}.")
    return 0


def cmd_load_demo(args, cfg: Config) -> int:
    engine = ingest.connect(cfg)
    for done in ingest.load_demo(engine, cfg):
        print(f"{done.source}: {done.rows_read} rader lästa, {done.rows_stored} sparade "
              f"(batch {done.batch_id}).")
    return 0


def _confirmed(question: str, refusal: str, yes: bool) -> bool:
    """True when --ja was given or the user says yes on a terminal; refuse when no one can."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise LagesbildError(refusal)
    try:
        answer = input(f"{question} Skriv ja för att fortsätta: ").strip().lower()
    except EOFError:  # Ctrl+D: no answer is no
        print()
        return False
    return answer in ("j", "ja", "y", "yes")


def _say(text: str = "") -> None:
    """Print text that may hold a file's or a user's words: no escape sequences reach the
    terminal (see :func:`lagesbild.fmt.clean`)."""
    print(fmt.clean(text))


def _report(plan: ingest.Plan, label: str) -> None:
    """Print what an import would do (or why it cannot)."""
    source = ", ".join(x for x in (plan.source_system, plan.profile and f"profil {plan.profile}",
                                   plan.extracted and f"uttag {plan.extracted}") if x)
    _say(f"Fil: {plan.source}" + (f" ({source})" if source else ""))
    _say(f"Mått: {label}")
    _say(f"Rader lästa: {fmt.number(plan.rows_read)}")
    if plan.dropped_columns:
        _say(f"Kolumner som inte sparas: {', '.join(plan.dropped_columns)}")
    if plan.ok:
        _say(f"Rader som sparas: {fmt.number(plan.rows_kept)} (summerade per månad och "
             "dimension)" if plan.measure != ingest.POPULATION else
             f"Rader som sparas: {fmt.number(plan.rows_kept)}")
        unit = "år" if plan.measure == ingest.POPULATION else "månader"
        _say(f"Påverkade {unit}: {len(plan.added)} nya, {len(plan.replaced)} ersätts "
             f"({plan.counted.lower()} före → efter)")
        for c in plan.changes:
            before = fmt.number(c.before) if c.replaces else "–"
            _say(f"  {c.period}  {'ersätts' if c.replaces else 'ny':8} "
                 f"{before:>8} → {fmt.number(c.after)}")
    else:
        _say(f"Problem ({fmt.number(len(plan.problems))}):")
        for problem in plan.problems:
            _say(f"  {problem}")
        for column, values in plan.unknown.items():
            _say(f"Okända värden i ”{column}”: {', '.join(values)}. Mappa dem på sidan Data "
                 "eller under varden i profilen.")


def cmd_import(args, cfg: Config) -> int:
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
        _notice(f"Databasen {engine.url.render_as_string(hide_password=True)} fanns inte; en "
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
        if not _confirmed(
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


def cmd_batches(args, cfg: Config) -> int:
    engine = ingest.connect(cfg, create=False)
    table = tables.batches(store.read_batches(engine), cfg.catalogue)
    if table.empty:
        print("Inga inläsningar ännu.")
    else:
        _say(table.to_string(index=False))
    return 0


def cmd_undo(args, cfg: Config) -> int:
    engine = ingest.connect(cfg, create=False)
    found = tables.batches(store.read_batches(engine), cfg.catalogue)
    row = found[found["Batch"] == args.batch]
    if row.empty:
        raise UnknownError(f"Det finns ingen batch {args.batch}. "
                           "Se python -m lagesbild batches.")
    b = row.iloc[0]
    if b["Status"] != "aktiv":
        raise DataError(f"Batch {args.batch} är redan {b['Status']}. Inget har ändrats.")
    what = fmt.clean(f"batch {b['Batch']} ({b['Mått']}, {b['Fil']}, {b['Period']}, "
                     f"{b['Rader sparade']} rader)", newlines=False)
    if not _confirmed(f"Ta bort {what}?",
                      f"Att ångra {what} kräver bekräftelse: lägg till --ja.", args.ja):
        print("Avbrutet. Inget har ändrats.")
        return 1
    gone = store.undo(engine, args.batch, undone_by=ingest.who(args.vem or getpass.getuser()))
    audit.record(engine, getpass.getuser(), "angra",
                 {"batch": args.batch, "matt": gone["measure"], "fil": gone["source"],
                  "via": "kommandoraden"}, keep_days=cfg.audit_days)
    _say(f"Tog bort {what}. Perioder som den ersatte visar åter den tidigare inläsningen.")
    return 0


def cmd_publicera(args, cfg: Config) -> int:
    engine = _open(cfg)
    if args.lista:
        from lagesbild.store import releases

        rows = [{"manad": r.month, "version": r.version, "publicerad": pd.Timestamp(r.created_at).strftime("%Y-%m-%d %H:%M"),
                 "av": r.created_by,
                 "levererat": " ".join(m for m in cfg.catalogue.measures if r.delivered(m)),
                 "inga_uppgifter": " ".join(m for m in cfg.catalogue.measures
                                            if not r.delivered(m))}
                for r in releases.listed(engine)]
        pd.DataFrame(rows, columns=["manad", "version", "publicerad", "av", "levererat",
                                    "inga_uppgifter"]).to_csv(sys.stdout, index=False,
                                                              lineterminator="\n")
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
    _say(f"Publicerade {month}, version {done.version}."
         + (f" Inga uppgifter för {', '.join(missing)}." if missing else ""))
    return 0


def cmd_kolada_fetch(args, cfg: Config) -> int:
    from lagesbild.intake import kolada
    from lagesbild.store import kolada as kolada_cache
    comp = kolada.load_comparison(cfg.jamforelse, cfg.catalogue)
    unknown = [k for k in args.kpi if k not in comp.kpis]
    if unknown:
        raise UnknownError(f"Nyckeltalet {unknown[0]} finns inte i jämförelsekatalogen "
                           f"({cfg.jamforelse.name}). Kända: {', '.join(comp.kpis)}.")
    years = kolada.parse_years(args.ar)
    engine = ingest.connect(cfg)
    client = kolada.Client(args.url or cfg.kolada_url, cfg.kolada_timeout)
    done = kolada_cache.fetch(engine, client, comp, years, args.kpi or None)
    if note := kolada_cache.unknown_note(done.unknown, cfg.jamforelse.name):
        _notice(note)
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
    from lagesbild.store import kolada as kolada_cache
    from lagesbild.views import comparison
    comp = kolada.load_comparison(cfg.jamforelse, cfg.catalogue)
    engine = ingest.connect(cfg)
    comp = dataclasses.replace(comp, areas_named=kolada_cache.read_areas(engine))
    values = kolada_cache.read_values(engine, [args.kpi])
    if values.empty:
        raise DataError(f"Inga värden för {args.kpi} är hämtade. Kör python -m lagesbild "
                        "kolada hamta --ar 2020-2025, eller läs in Koladas export.")
    sys.stdout.write(comparison.to_csv(values, comp, args.kpi))
    return 0


def cmd_kolada_import(args, cfg: Config) -> int:
    from lagesbild.intake import kolada, kolada_export
    from lagesbild.store import kolada as kolada_cache
    comp = kolada.load_comparison(cfg.jamforelse, cfg.catalogue)
    path = Path(args.fil)
    if not path.is_file():
        raise DataError(f"Filen {path} finns inte.")
    read = kolada_export.read(path.read_bytes(), path.name, comp, load.Limits.of(cfg))
    for line in read.skipped:
        _notice(line)
    engine = ingest.connect(cfg)
    rows = kolada_cache.write_values(engine, read.values, fmt.clean(path.name, newlines=False))
    kpis = sorted(set(read.values["kpi"]))
    audit.record(engine, getpass.getuser(), "kolada",
                 {"via": "kommandoraden", "fil": path.name, "nyckeltal": kpis, "rader": rows},
                 keep_days=cfg.audit_days)
    _say(f"Läste in {fmt.number(rows)} värden för {', '.join(kpis)} från {path.name}.")
    return 0


def cmd_atgarder(args, cfg: Config) -> int:
    from lagesbild.views import effect as effect_views
    engine = _open(cfg)
    found = process.actions(engine, open_only=args.pagaende)
    counts = source.all_counts(engine, cfg, exact=args.exakt)
    latest = max((m for m in (aggregate.latest_complete_month(f) for f in counts.values())
                  if m is not None), default=None)
    if args.exakt:
        _exact_warning("atgarder")
    from lagesbild.store import releases
    from lagesbild.views import publication

    noise = 0.0 if args.exakt else publication.noise_variance(releases.latest(engine))
    table = effect_views.table(cfg, counts, store.read_population(engine), found, latest,
                               exact=args.exakt, noise_var=noise)
    compared = effect_views.has_cells(table)
    shown = table.assign(
        antal_fore=[_published(n, c, cfg.threshold) for n, c in
                    zip(table["antal_fore"], compared)],
        antal_efter=[_published(n, c, cfg.threshold) for n, c in
                     zip(table["antal_efter"], compared)])
    shown = shown.assign(**{c: shown[c].astype(float).round(2) for c in (
        "per_1000_fore", "per_1000_efter", "ovriga_per_1000_fore", "ovriga_per_1000_efter")})
    columns = ["id", "titel", "omrade", "start", "matt", "urval", "fore", "efter",
               "antal_fore", "antal_efter", "befolkning_fore", "befolkning_efter",
               "per_1000_fore", "per_1000_efter", "ovriga_per_1000_fore",
               "ovriga_per_1000_efter", "kvot", "ki_lag", "ki_hog", "slutsats"]
    print(f"# Åtgärder och effekt: {len(found)} åtgärder, jämförda med resten av kommunen "
          "(kvot under 1: bättre utveckling än i resten av kommunen)", file=sys.stderr)
    shown[columns].assign(titel=shown["titel"].map(_csv_text),
                          omrade=shown["omrade"].map(_csv_text)).to_csv(
        sys.stdout, index=False, lineterminator="\n")
    return 0


def _published(value, compared: bool, threshold: int) -> str:
    if not compared:
        return ""
    return f"<{threshold}" if pd.isna(value) else str(int(value))


def _csv_text(value: str) -> str:
    """Text someone typed, safe in a terminal and in Excel (no formula, no control codes)."""
    text = fmt.clean(value, newlines=False)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def cmd_moten(args, cfg: Config) -> int:
    engine = _open(cfg)
    table = process.meeting_counts(engine)
    if table.empty:
        print("Inga möten ännu.", file=sys.stderr)
    table.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def report_inputs(cfg: Config, engine, kind: str, code: str, typ: str,
                  version: int | None = None):
    """The report of a period and the inputs of its files (``views.report_inputs``; also the
    benchmark's way in)."""
    from lagesbild.views import report_inputs as made

    return made.inputs(cfg, engine, kind, code, typ, version)


def cmd_rapport(args, cfg: Config) -> int:
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
    engine = _open(cfg)
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lagesbild", description="Social lägesbild – kommandon.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("summary", help="Summera ett mått som CSV.")
    p.add_argument("matt", metavar="MEASURE", help="Måttets id, t.ex. orosanmalningar.")
    p.add_argument("--ar", type=int, help="Kalenderår, t.ex. 2023.")
    p.add_argument("--manad", help="En månad, ÅÅÅÅ-MM.")
    p.add_argument("--per", action="append", default=[], metavar="DIM",
                   help="Gruppera efter dimension (kan upprepas): kon, aldersgrupp, "
                        "postnummer eller måttets kategorier.")
    p.add_argument("--storhet", help="Storhet, om måttet har flera (t.ex. berorda_barn).")
    p.add_argument("--exakt", action="store_true",
                   help="Exakta tal utan röjandekontroll, för den som redan har direkt "
                        "åtkomst till databasen (loggas).")
    p.set_defaults(func=cmd_summary)

    for name, text in (("areas", "Antal, andel och flagga per område som CSV."),
                       ("map", "Skriv kartan som bild (PNG eller SVG).")):
        p = sub.add_parser(name, help=text)
        p.add_argument("matt", metavar="MEASURE", help="Måttets id, t.ex. orosanmalningar.")
        p.add_argument("--ar", type=int, help="Kalenderår, t.ex. 2024.")
        p.add_argument("--manad", help="En månad, ÅÅÅÅ-MM.")
        p.add_argument("--kvartal", help="Ett kvartal, ÅÅÅÅ-Qn, t.ex. 2025-Q1.")
        p.add_argument("--niva", choices=["postnummer", "omrade"], default="postnummer",
                       help="Postnummer eller områden (LAGESBILD_OMRADEN).")
        if name == "areas":
            p.add_argument("--exakt", action="store_true",
                           help="Exakta tal utan röjandekontroll, för den som redan har direkt "
                                "åtkomst till databasen (loggas).")
        p.add_argument("--filter", action="append", default=[], metavar="DIM=VÄRDE",
                       help="Urval, t.ex. kon=K eller anmalare=skola (kan upprepas). "
                            "Utan urval räknas det som översikten räknar (vräkningar: "
                            "ansökningar).")
        if name == "map":
            p.add_argument("--varde", choices=list(area_views.METRICS), default="per_1000",
                           help="Vad kartan färgas efter (standard: per_1000).")
            p.add_argument("--format", choices=["png", "svg"],
                           help="Bildformat (standard: filändelsen).")
            p.add_argument("--ut", required=True, help="Filen att skriva.")
            p.set_defaults(func=cmd_map)
        else:
            p.set_defaults(func=cmd_areas)

    p = sub.add_parser("chart", help="Skriv ett diagram som PNG eller SVG, som sidan gör.")
    p.add_argument("matt", metavar="MEASURE", help="Måttets id, t.ex. orosanmalningar.")
    p.add_argument("--typ", required=True,
                   choices=["trend", "kon", "ar", "fordelning", "heatmap"],
                   help="trend (per månad), kon (flickor och pojkar i samma diagram), ar (år "
                        "för år), fordelning (per kategori och kön) eller heatmap (månad × "
                        "kategori).")
    p.add_argument("--per", metavar="DIM", help="Dimension för fordelning och heatmap.")
    p.add_argument("--ar", type=int, help="Kalenderår (standard: som sidan, till senaste "
                                          "hela månaden).")
    p.add_argument("--filter", action="append", default=[], metavar="DIM=VÄRDE",
                   help="Urval, t.ex. kon=K, aldersgrupp=0-5, postnummer=97442, "
                        "orsak=skolfranvaro (kan upprepas).")
    p.add_argument("--storhet", help="Storhet, om måttet har flera (t.ex. berorda_barn).")
    p.add_argument("--format", required=True, choices=["png", "svg"])
    p.add_argument("--ut", required=True, metavar="FILE", help="Filen att skriva.")
    p.set_defaults(func=cmd_chart)

    p = sub.add_parser("atgarder", help="Åtgärderna och deras effekt per indikator som CSV.")
    p.add_argument("--pagaende", action="store_true", help="Bara åtgärder som inte avslutats.")
    p.add_argument("--exakt", action="store_true",
                   help="Exakta tal utan röjandekontroll, för den som redan har direkt "
                        "åtkomst till databasen (loggas).")
    p.set_defaults(func=cmd_atgarder)

    p = sub.add_parser("moten", help="Mötena med antal observationer, beslut och öppna "
                                     "punkter som CSV.")
    p.set_defaults(func=cmd_moten)

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

    p = sub.add_parser("demo", help="Skapa om demodata (syntetiska) i data/demo/.")
    p.add_argument("--ut", help="Annan mapp att skriva till.")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("build-shapes", help="Bygg postnummerområden från adresspunkter.")
    p.add_argument("--punkter", help="Fil med adresspunkter och kolumnen postnummer. "
                                     "Utan den byggs demolagret för Luleå.")
    p.add_argument("--kommunkod", help="Kommunkod för kommungränsen (standard: katalogens).")
    p.add_argument("--ut", help="GeoPackage att skriva (standard: LAGESBILD_SHAPES).")
    p.set_defaults(func=cmd_build_shapes)

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
    return parser


GENERAL_ERROR = ("Något gick fel (ett oväntat fel i programmet). Det som inte hann sparas är "
                 "inte sparat; kontakta den som förvaltar lägesbilden. Detaljerna finns i "
                 "loggen: {log}")
INTERRUPTED = "Avbrutet (Ctrl+C). En inläsning som inte hann bli klar är inte sparad."
EXIT_UNEXPECTED = 3
EXIT_INTERRUPTED = 130


def _from_database(exc: BaseException) -> bool:
    import sqlite3

    import sqlalchemy as sa

    return isinstance(exc, (sa.exc.SQLAlchemyError, sqlite3.Error)) or \
        type(exc).__module__.startswith("psycopg")


def _fail(message: str) -> None:
    """One line on stderr, whatever the message holds (no escape sequences, no line breaks;
    the no-break spaces of Swedish numbers stay)."""
    print("fel: " + re.sub(r"[ \r\n]+", " ", fmt.clean(message, newlines=False)).strip(),
          file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure becomes one Swedish line on stderr and an exit code.

    0 done; 1 the data or the store cannot be used (our errors); 2 usage errors (wrong
    arguments, unknown measure); 3 an unexpected error, whose traceback goes to the log file
    (``LAGESBILD_LOGG``) and never to the terminal; 130 interrupted.
    """
    # Opened before the rest of the settings are read, so that even a failure there is logged.
    logfile = logs.to_file(Path(os.environ.get("LAGESBILD_LOGG") or Config.log))
    try:
        cfg = Config.from_env()
        args = build_parser().parse_args(argv)
        log.info("command: %s", args.command)
        return args.func(args, cfg)
    except BrokenPipeError:  # the reader (head, say) closed the pipe: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        log.info("interrupted")
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except (UsageError, UnknownError) as err:
        _fail(err.message)
        return 2
    except LagesbildError as err:
        log.info("refused: %s", err.message, exc_info=isinstance(err, store.StoreError))
        _fail(err.message)
        return 1
    except Exception as exc:  # a bug, or a failure nothing above explains
        log.exception("unexpected error")
        known = store.translate(exc) if _from_database(exc) else None
        if known is not None:  # a database failure outside an engine's own error handling
            _fail(known.message)
            return 1
        shown = str(logfile) if logfile else "(loggen kunde inte skrivas)"
        _fail(GENERAL_ERROR.format(log=shown))
        return EXIT_UNEXPECTED
