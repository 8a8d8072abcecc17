"""The demo's Kolada snapshot (``data/kolada_demo.json``): comparisons without network.

The demo has no network, so it brings a small dated snapshot for the KPIs of
``lagesbild/jamforelse.yaml``: Luleå (2580), riket (0000), Region Norrbotten (0025) and the
members of Luleå's IFO group for 2020–2024 (by sex where Kolada divides by gender), and every
municipality's total for the newest year, for the rank.

**The values are synthetic** (seeded, plausible orders of magnitude), except the few that a
public source we could reach publishes: Luleå's U00915 for 2023 and 2024 (10,1 and 6,3 per
100 000 invånare, Luleå's socialnämnd 2025-09-25, see ../shared/DOMAIN.md §3). Kolada's own
values could not be fetched here (no network) and rKolada's example data sets (N00945,
N03702, N03703) cover none of these KPIs. Every row carries its source, and the pages say
"SYNTETISKA" wherever the snapshot is shown. Titles, municipalities and the group (G36579
"Liknande kommuner IFO, Luleå, 2024" and its members) are Kolada's own metadata, from the
fixtures built by ``tools/kolada_fixtures.py``.

    python -m tools.kolada_demo      # rewrites data/kolada_demo.json (same seed, same file)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "kolada"
OUT = ROOT / "data" / "kolada_demo.json"
SEED = 2580
DATE = "2026-12-07"
YEARS = list(range(2020, 2025))
SYNTHETIC = f"demo: syntetiskt, ögonblicksbild {DATE}"
PUBLISHED = "demo: publicerat av Luleå kommuns socialnämnd 2025-09-25"
# Luleå's published values (DOMAIN.md §3): executed evictions affecting children per 100 000.
REAL = {("U00915", "2580", 2023): 10.1, ("U00915", "2580", 2024): 6.3}
# Synthetic level (a typical municipality) and spread (coefficient of variation) per KPI.
LEVELS = {
    "N33818": (7.5, 0.35), "N33816": (2.5, 0.45), "N33817": (6.0, 0.35), "N33878": (25, 0.35),
    "N33009": (1400, 0.3), "U30750": (25, 0.5), "U30751": (15, 0.5), "U30752": (5, 0.6),
    "N35805": (0.12, 0.5), "N35804": (0.5, 0.5), "N35801": (1.2, 0.6), "N35001": (1000, 0.3),
    "N35019": (900, 0.3), "N35011": (450, 0.35), "N35025": (4000, 0.2), "U00958": (7, 0.6),
    "U00915": (4.5, 0.8), "N00989": (4.5, 0.3), "N00990": (38000, 0.25),
    "N31816": (1.2, 0.4), "N31825": (3.5, 0.35), "N31814": (35, 0.25), "N31807": (4.0, 0.4),
    "N31001": (1400, 0.35),
}


def _fixture(name: str) -> list[dict]:
    return json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))["values"]


def _round(value: float) -> float:
    return float(f"{value:.3g}")


def build() -> dict:
    catalogue = yaml.safe_load((ROOT / "lagesbild" / "jamforelse.yaml").read_text("utf-8"))
    kpis = {k["id"]: k for k in _fixture("kpi")}
    areas = {a["id"]: a["title"] for a in _fixture("municipality")}
    kommuner = sorted(a for a, t in areas.items() if not a.startswith("00"))
    group = next(g for g in _fixture("municipality_groups") if g["id"] == "G36579")
    members = [m["member_id"] for m in group["members"]]
    rng = np.random.default_rng(SEED)
    sources = [SYNTHETIC, PUBLISHED]
    rows = []
    for kpi in catalogue["nyckeltal"]:
        level, cv = LEVELS[kpi]
        sigma = np.sqrt(np.log(1 + cv ** 2))
        base = level * rng.lognormal(-sigma ** 2 / 2, sigma, len(kommuner))
        trend = 1 + rng.normal(0, 0.03, len(YEARS)).cumsum()
        by_year = {y: dict(zip(kommuner, base * trend[i] * rng.lognormal(0, 0.08,
                                                                         len(kommuner))))
                   for i, y in enumerate(YEARS)}
        by_sex = bool(kpis[kpi]["is_divided_by_gender"])
        for year, values in by_year.items():
            lan = np.mean([v for a, v in values.items() if a.startswith("25")])
            totals = {**values, "0000": float(np.mean(list(values.values()))), "0025": lan}
            shown = ["2580", "0025", "0000", *members]
            chosen = kommuner if year == YEARS[-1] else shown
            for area in dict.fromkeys([*shown, *chosen]):
                real = REAL.get((kpi, area, year))
                total = real if real is not None else _round(totals[area])
                rows.append([kpi, area, year, "T", total, int(real is not None)])
                if by_sex and area in shown:
                    gap = rng.normal(0.12, 0.05)
                    rows.append([kpi, area, year, "K", _round(total * (1 - gap / 2)), 0])
                    rows.append([kpi, area, year, "M", _round(total * (1 + gap / 2)), 0])
    return {
        "about": ("Demo-ögonblicksbild för jämförelser utan nät. SYNTETISKA värden utom rader "
                  f"med källa 1 ({PUBLISHED}). Skapad {DATE} av tools/kolada_demo.py; titlar, "
                  "kommuner och gruppen är Koladas metadata (rKolada R/sysdata.rda)."),
        "date": DATE, "sources": sources,
        "group": {"id": group["id"], "title": group["title"], "kind": "IFO",
                  "members": {m["member_id"]: m["member_title"] for m in group["members"]}},
        "kpis": {k: {"title": kpis[k]["title"], "description": kpis[k]["description"],
                     "by_sex": bool(kpis[k]["is_divided_by_gender"])}
                 for k in catalogue["nyckeltal"]},
        "columns": ["kpi", "kommun", "ar", "kon", "varde", "kalla"],
        "values": rows,
    }


def main() -> int:
    snapshot = build()
    OUT.write_text(json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))
                   .replace("],[", "],\n["), "utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}: {len(snapshot['values'])} values")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
