"""Groupings of postnummer into larger areas (stadsdelar, socioeconomic groups), from YAML."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from lagesbild.errors import ConfigError


@dataclass(frozen=True)
class Grouping:
    """A mapping from postnummer to larger areas (stadsdelar, socioeconomic groups)."""

    name: str
    labels: dict[str, str]  # area code -> name, in the file's order
    patterns: tuple[tuple[str, str], ...]  # (postnummer or prefix*, area code)

    def area_of(self, postnummer: str) -> str | None:
        for pattern, code in self.patterns:
            if fnmatch.fnmatchcase(str(postnummer), pattern):
                return code
        return None

    def assign(self, codes) -> dict[str, str | None]:
        return {c: self.area_of(c) for c in codes}


def load_grouping(path: Path | str) -> Grouping:
    """Read a grouping YAML (see shapes/lulea_omraden_demo.yaml); Swedish errors if malformed."""
    path = Path(path)
    where = path.name
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"Områdesindelningen {path} finns inte. Kontrollera "
                          "LAGESBILD_OMRADEN.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"Områdesindelningen {where} är inte giltig YAML ({exc}).") from None
    areas = raw.get("omraden")
    if not isinstance(areas, list) or not areas:
        raise ConfigError(f"Områdesindelningen {where} saknar listan ”omraden”.")
    labels, patterns = {}, []
    for i, area in enumerate(areas, start=1):
        if not isinstance(area, dict) or not area.get("kod") or not area.get("postnummer"):
            raise ConfigError(f"Område nr {i} i {where} behöver ”kod”, ”namn” och "
                              "”postnummer”.")
        code = str(area["kod"])
        if code in labels:
            raise ConfigError(f"Områdeskoden ”{code}” förekommer två gånger i {where}.")
        labels[code] = str(area.get("namn") or code)
        for pattern in area["postnummer"]:
            pattern = str(pattern).replace(" ", "")
            if not re.fullmatch(r"\d{1,5}\*|\d{5}", pattern):
                raise ConfigError(f"”{pattern}” i området {labels[code]} ({where}) är varken ett "
                                  "postnummer (fem siffror) eller ett prefix som slutar på *.")
            patterns.append((pattern, code))
    # Overlaps: the same postnummer must not be claimed by two areas.
    for a, (pa, ca) in enumerate(patterns):
        for pb, cb in patterns[a + 1:]:
            if ca != cb and (pa.rstrip("*").startswith(pb.rstrip("*")) and pb.endswith("*")
                             or pb.rstrip("*").startswith(pa.rstrip("*")) and pa.endswith("*")
                             or pa == pb):
                raise ConfigError(f"Postnummer ”{pa}” och ”{pb}” i {where} hamnar i två "
                                  f"områden ({labels[ca]}, {labels[cb]}).")
    return Grouping(str(raw.get("namn") or where), labels, tuple(patterns))


def dissolve(layer, grouping: Grouping):
    """Polygons of the larger areas: postnummer polygons dissolved per area (GeoPandas)."""
    codes = layer["postnummer"].map(grouping.area_of)
    grouped = layer.assign(omrade=codes).dropna(subset=["omrade"])
    out = grouped.dissolve(by="omrade", as_index=False)[["omrade", "geometry"]]
    return out.assign(namn=out["omrade"].map(grouping.labels))
