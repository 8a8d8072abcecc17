"""The GeoNames list of Luleå's postnummer, used to build the demo data and demo shapes.

Source: GeoNames postal code data (geonames.org), CC BY 4.0. The file lives in
``../shared/geo`` beside the repository and is read only by the demo builders.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lagesbild.config import ROOT
from lagesbild.errors import DataError

DEFAULT_PATH = ROOT.parent / "shared" / "geo" / "postnummer_2580_geonames.csv"
ATTRIBUTION = "Postnummer och orter: GeoNames (geonames.org), CC BY 4.0"

# Codes 971xx are box and company codes; xx00, xx01 and xx99 are box or bulk codes too.
_RESIDENTIAL_PREFIXES = ("954", "955", "972", "973", "974", "975", "976", "977")


def is_residential(code: str) -> bool:
    """True for postnummer that hold homes (see ../shared/geo/README.md)."""
    return code[:3] in _RESIDENTIAL_PREFIXES and code[3:] not in ("00", "01", "99")


def read_geonames(path: Path = DEFAULT_PATH, residential_only: bool = True) -> pd.DataFrame:
    """Return postnummer, postort, lat, lon from the GeoNames extract."""
    try:
        frame = pd.read_csv(path, dtype={"postnummer": str, "kommunkod": str})
    except FileNotFoundError:
        raise DataError(
            f"Hittar inte {path}. Demodata byggs från ../shared/geo bredvid projektet.") from None
    frame = frame[["postnummer", "postort", "lat", "lon"]]
    if residential_only:
        frame = frame[frame["postnummer"].map(is_residential)]
    return frame.reset_index(drop=True)
