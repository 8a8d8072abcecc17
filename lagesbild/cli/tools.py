"""``demo`` and ``build-shapes``: the tools beside the domain (``tools/``), started from the
command line."""

from __future__ import annotations

import sys
from pathlib import Path

from lagesbild.config import Config


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


def add(sub) -> None:
    """Declare demo and build-shapes."""
    p = sub.add_parser("demo", help="Skapa om demodata (syntetiska) i data/demo/.")
    p.add_argument("--ut", help="Annan mapp att skriva till.")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("build-shapes", help="Bygg postnummerområden från adresspunkter.")
    p.add_argument("--punkter", help="Fil med adresspunkter och kolumnen postnummer. "
                                     "Utan den byggs demolagret för Luleå.")
    p.add_argument("--kommunkod", help="Kommunkod för kommungränsen (standard: katalogens).")
    p.add_argument("--ut", help="GeoPackage att skriva (standard: LAGESBILD_SHAPES).")
    p.set_defaults(func=cmd_build_shapes)
