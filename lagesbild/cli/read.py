"""Commands that read published numbers: ``summary``, ``areas``, ``map`` and ``chart``.

The numbers come from ``views`` like the pages'. pandas, the store and the views are imported
inside the handlers, so that declaring these commands (``--help``) costs nothing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lagesbild.cli.common import csv_count, exact_warning, open_store
from lagesbild.cli.parser import UsageError
from lagesbild.config import Config
from lagesbild.errors import LagesbildError, UnknownError

if TYPE_CHECKING:
    import pandas as pd

    from lagesbild.analysis import aggregate

# What a map can be coloured by: the keys of ``views.areas.METRICS``, written out so that
# declaring --varde imports no view (tests/test_cli_imports.py checks they agree).
MAP_VALUES = ("per_1000", "antal", "forandring", "forandring_pct")


def _period(args, frame: pd.DataFrame | None) -> aggregate.Period:
    from lagesbild.analysis import aggregate

    if args.ar is not None and args.manad is not None:
        raise UsageError("Ange antingen --ar eller --manad, inte båda.")
    if args.ar is not None:
        return aggregate.Period.year(args.ar)
    if args.manad is not None:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.manad):
            raise UsageError(f"--manad ska skrivas ÅÅÅÅ-MM, till exempel 2025-03, "
                             f"inte ”{args.manad}”.")
        import pandas as pd

        return aggregate.Period.month(pd.Timestamp(args.manad + "-01"))
    latest = aggregate.latest_complete_month(frame)
    if latest is None:
        raise LagesbildError("Det finns inga data för måttet ännu.")
    return aggregate.Period.rolling12(latest)


def cmd_summary(args, cfg: Config) -> int:
    from lagesbild import store
    from lagesbild.analysis import aggregate
    from lagesbild.release import disclosure
    from lagesbild.views import source

    cat = cfg.catalogue
    measure = cat.measure(args.matt)
    for dim in args.per:
        measure.check_dimension(dim)
    if args.storhet and args.storhet not in measure.variables:
        raise UnknownError(f"Måttet {measure.code} har ingen storhet ”{args.storhet}”. "
                           f"Möjliga: {', '.join(measure.variables)}.")
    engine = open_store(cfg)
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
        exact_warning(f"summary {measure.code}")
        shown = table.assign(antal=table["antal"].astype("int64").astype(str))
    else:
        safe = disclosure.protect(table, cfg.threshold)
        shown = safe.assign(antal=[csv_count(n, hidden, cfg.threshold)
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
    from lagesbild.analysis import aggregate, periods

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
    from lagesbild import store
    from lagesbild.geo import groupings, layers
    from lagesbild.views import areas as area_views
    from lagesbild.views import source

    measure = cfg.catalogue.measure(args.matt)
    filters = _filters(args.filter, cfg, measure, headline=True)
    engine = open_store(cfg)
    frame = source.counts(engine, cfg, measure)
    kind, code = _area_period(args, frame)
    grouping = groupings.load_grouping(cfg.omraden) if args.niva == "omrade" else None
    layer = layers.read_layer(cfg.shapes)
    postorter = dict(zip(layer["postnummer"], layer["postort"].fillna("")))
    shown = area_views.display_layer(layer, args.niva, grouping)
    return measure, layer, area_views.view(cfg, frame, store.read_population(engine), measure, kind,
                                      code, args.varde, args.niva, filters, shown, postorter,
                                      grouping)


def _exact_areas(args, cfg: Config) -> int:
    import pandas as pd

    from lagesbild import store
    from lagesbild.geo import groupings
    from lagesbild.views import areas as area_views
    from lagesbild.views import source

    measure = cfg.catalogue.measure(args.matt)
    filters = _filters(args.filter, cfg, measure, headline=True)
    engine = open_store(cfg)
    frame = source.counts(engine, cfg, measure, exact=True)
    kind, code = _area_period(args, frame)
    grouping = groupings.load_grouping(cfg.omraden) if args.niva == "omrade" else None
    table, _ = area_views.exact_table(frame, store.read_population(engine), measure, kind,
                                      code, args.niva, filters, grouping)
    exact_warning(f"areas {measure.code}")
    out = pd.DataFrame({
        "omrade": table["kod"], "antal": table["antal"].astype("int64"),
        "befolkning": table["befolkning"].astype("Int64") if "befolkning" in table else pd.NA,
        "per_1000": table["per_1000"].round(2) if "per_1000" in table else pd.NA})
    out.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def cmd_areas(args, cfg: Config) -> int:
    if args.exakt:
        return _exact_areas(args, cfg)
    import pandas as pd

    args.varde = "antal"
    measure, _, v = _map_view(args, cfg)
    safe = v.safe
    out = pd.DataFrame({
        "omrade": safe["kod"], "namn": v.names,
        "antal": [csv_count(n, h, cfg.threshold) for n, h in zip(safe["antal"], safe["skyddad"])],
        "befolkning": safe["befolkning"].astype("Int64") if "befolkning" in safe else pd.NA,
        "per_1000": safe["per_1000"].round(2) if "per_1000" in safe else pd.NA,
        "flagga": safe["flagga"] if "flagga" in safe else pd.NA,
    })
    print(f"# {v.caption.title}, {v.caption.subtitle}", file=sys.stderr)
    out.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def cmd_map(args, cfg: Config) -> int:
    if args.format is None:
        args.format = Path(args.ut).suffix.lstrip(".").lower() or "png"
    if args.format not in ("png", "svg"):
        raise UsageError(f"--format ska vara png eller svg, inte ”{args.format}”.")
    from lagesbild.geo import layers
    from lagesbild.present import export, maps

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
    from lagesbild.analysis import aggregate

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
    import pandas as pd

    from lagesbild import store
    from lagesbild.analysis import aggregate
    from lagesbild.present import export
    from lagesbild.views import figures, source

    measure = cfg.catalogue.measure(args.matt)
    filters = _filters(args.filter, cfg, measure)
    if args.per and args.typ not in ("fordelning", "heatmap"):
        raise UsageError("--per gäller bara --typ fordelning och heatmap.")
    out = Path(args.ut)
    if not out.parent.exists():
        raise UsageError(f"Mappen {out.parent} finns inte.")
    engine = open_store(cfg)
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


def add(sub) -> None:
    """Declare summary, areas, map and chart."""
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
            p.add_argument("--varde", choices=list(MAP_VALUES), default="per_1000",
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
