"""Test fixtures in Kolada's v3 shapes, extracted from rKolada's metadata dump.

rKolada (github.com/LCHansson/rKolada, MIT) ships ``R/sysdata.rda``: tables its v3 client
fetched from api.kolada.se/v3 (all KPIs, municipalities and municipality groups, and a few
example value sets). This script reads it with ``rdata`` (requirements-dev.txt) and writes the
small JSON files in ``tests/fixtures/kolada/`` in the shape the API answers with. The .rda file
itself is not part of this repository:

    git --git-dir=<rKolada clone>/.git show HEAD:R/sysdata.rda > /tmp/sysdata.rda
    python -m tools.kolada_fixtures /tmp/sysdata.rda

It also prints what it checked: each catalogue KPI's title, unit and whether it is divided by
gender, so a reviewer can compare ``lagesbild/jamforelse.yaml`` with Kolada's own metadata.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "kolada"
KPI_FIELDS = ["id", "title", "description", "is_divided_by_gender", "municipality_type",
              "auspice", "operating_area", "perspective", "prel_publication_date",
              "publication_date", "publ_period", "has_ou_data"]


def _read(path: Path) -> dict:
    import rdata  # a development tool only: never imported at run time

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tibble classes fall back to data.frame
        return rdata.read_rda(str(path))


def _plain(value):
    """A JSON value from a pandas cell (NA -> None)."""
    try:
        import pandas as pd
        if value is pd.NA or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return value


def _group(row) -> dict:
    members = row.members
    return {"id": row.id, "title": row.title,
            "members": [{"member_id": m, "member_title": t}
                        for m, t in zip(members["member_id"], members["member_title"])]}


def _value_rows(frame) -> list[dict]:
    """rKolada's flat value table back into the v3 nesting (one row per KPI, area, year)."""
    out: dict[tuple, dict] = {}
    for r in frame.itertuples(index=False):
        key = (r.kpi, r.municipality_id, int(r.year))
        item = out.setdefault(key, {"kpi": r.kpi, "municipality": r.municipality_id,
                                    "period": int(r.year), "values": []})
        item["values"].append({"count": _plain(r.count), "gender": r.gender,
                               "status": _plain(r.status) or "", "value": _plain(r.value)})
    return list(out.values())


def main(argv: list[str]) -> int:
    dump = _read(Path(argv[0]))
    catalogue = yaml.safe_load((ROOT / "lagesbild" / "jamforelse.yaml").read_text("utf-8"))
    wanted = [str(k) for k in catalogue["nyckeltal"]]
    kpis = dump["kpi_df"]
    chosen = kpis[kpis["id"].isin(wanted)]
    missing = sorted(set(wanted) - set(chosen["id"]))
    print("KPI ids not in Kolada's list:", ", ".join(missing) or "none")
    for r in chosen.itertuples(index=False):
        spec = catalogue["nyckeltal"][r.id]
        mark = "" if bool(spec.get("kon", False)) == bool(r.is_divided_by_gender) else \
            "   <-- 'kon' in jamforelse.yaml differs"
        print(f"{r.id} | {r.title} | gender={bool(r.is_divided_by_gender)} | "
              f"type={r.municipality_type}{mark}")
    kpi_rows = [{f: _plain(getattr(r, f)) for f in KPI_FIELDS}
                for r in chosen.sort_values("id").itertuples(index=False)]
    munic = [{"id": r.id, "title": r.title, "type": r.type}
             for r in dump["munic"].itertuples(index=False)]
    groups = dump["munic_g"]
    near = groups[groups["title"].str.contains("Luleå|Norrbotten", regex=True)]
    group_rows = [_group(r) for r in near.sort_values("id").itertuples(index=False)]
    values = _value_rows(dump["n00945"])
    # Every area's name as Kolada writes it, for the pages and for reading Kolada's export.
    areas = ROOT / "lagesbild" / "kolada_omraden.csv"
    areas.write_text("# Kolada's areas (v3 /municipality), from rKolada's R/sysdata.rda; written "
                     "by tools/kolada_fixtures.py\nid;namn;typ\n"
                     + "".join(f"{m['id']};{m['title']};{m['type']}\n" for m in munic), "utf-8")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in (("kpi", kpi_rows), ("municipality", munic),
                       ("municipality_groups", group_rows), ("data_N00945", values)):
        (OUT / f"{name}.json").write_text(
            json.dumps({"values": rows}, ensure_ascii=False, indent=1) + "\n", "utf-8")
        print(f"wrote {name}.json: {len(rows)} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
