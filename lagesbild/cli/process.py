"""Commands on the work done with the numbers: ``atgarder`` (actions and their effect) and
``moten`` (meetings), as CSV."""

from __future__ import annotations

import sys

from lagesbild.cli.common import csv_text, exact_warning, open_store
from lagesbild.config import Config


def cmd_atgarder(args, cfg: Config) -> int:
    from lagesbild import store
    from lagesbild.analysis import aggregate
    from lagesbild.store import process, releases
    from lagesbild.views import effect as effect_views
    from lagesbild.views import publication, source

    engine = open_store(cfg)
    found = process.actions(engine, open_only=args.pagaende)
    counts = source.all_counts(engine, cfg, exact=args.exakt)
    latest = max((m for m in (aggregate.latest_complete_month(f) for f in counts.values())
                  if m is not None), default=None)
    if args.exakt:
        exact_warning("atgarder")
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
    shown[columns].assign(titel=shown["titel"].map(csv_text),
                          omrade=shown["omrade"].map(csv_text)).to_csv(
        sys.stdout, index=False, lineterminator="\n")
    return 0


def _published(value, compared: bool, threshold: int) -> str:
    import pandas as pd

    if not compared:
        return ""
    return f"<{threshold}" if pd.isna(value) else str(int(value))


def cmd_moten(args, cfg: Config) -> int:
    from lagesbild.store import process

    engine = open_store(cfg)
    table = process.meeting_counts(engine)
    if table.empty:
        print("Inga möten ännu.", file=sys.stderr)
    table.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def add(sub) -> None:
    """Declare atgarder and moten."""
    p = sub.add_parser("atgarder", help="Åtgärderna och deras effekt per indikator som CSV.")
    p.add_argument("--pagaende", action="store_true", help="Bara åtgärder som inte avslutats.")
    p.add_argument("--exakt", action="store_true",
                   help="Exakta tal utan röjandekontroll, för den som redan har direkt "
                        "åtkomst till databasen (loggas).")
    p.set_defaults(func=cmd_atgarder)

    p = sub.add_parser("moten", help="Mötena med antal observationer, beslut och öppna "
                                     "punkter som CSV.")
    p.set_defaults(func=cmd_moten)
