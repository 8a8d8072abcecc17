"""Source profiles: how one source system's export maps onto the catalogue.

A profile is a YAML file in the profile folder (``LAGESBILD_PROFILER``, default ``profiler/``):

.. code-block:: yaml

    system: Combine                   # stored with every batch
    matt: orosanmalningar             # the measure the export holds (or befolkning)
    filnamn: ["orosanmalningar_combine*"]   # file names it is chosen for by default
    kolumner:                         # source header -> our column
      Inkomstdatum: datum
    varden:                           # our column -> source value -> catalogue code
      orsak:
        "VÅLD": vald_mot_barnet
    datumformat: DD/MM/ÅÅÅÅ           # optional: how dates such as 03/10/2026 are read

Headers the catalogue already knows (labels and aliases) need no entry. Unknown category
values found during an import can be mapped on the page "Data"; the mapping is written here.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lagesbild.config import Catalogue
from lagesbild.errors import ConfigError, UnknownError

POPULATION = "befolkning"
# Profile spellings of the columns that have English names inside the package.
_COLUMN_NAMES = {"manad": "month", "datum": "date"}


@dataclass(frozen=True)
class Profile:
    """One source profile (see the module docstring for the YAML)."""

    name: str  # the file's stem
    path: Path
    system: str
    measure: str
    files: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)  # lower-case header -> our column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> lower value -> code
    description: str = ""
    date_format: str = ""  # "datumformat": how ambiguous dates (03/10/2026) are read


def _targets(measure: str, cat: Catalogue) -> set[str]:
    """Our column names a profile may map a header onto."""
    common = {"month", "date", "postnummer", "kon", "alder", "aldersgrupp", "ar", "antal"}
    if measure == POPULATION:
        return common
    m = cat.measure(measure)
    return common | set(m.dimensions) | set(m.variables)


def load_profile(path: Path, cat: Catalogue) -> Profile:
    """Read and check one profile."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise UnknownError(f"Profilen {path} finns inte.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"Profilen {path.name} är inte giltig YAML: {exc}") from None
    if not isinstance(raw, dict) or "matt" not in raw:
        raise ConfigError(f"Profilen {path.name} saknar nyckeln ”matt”.")
    measure = str(raw["matt"])
    if measure != POPULATION:
        cat.measure(measure)
    columns = {str(k).strip().lower(): _COLUMN_NAMES.get(str(v), str(v))
               for k, v in (raw.get("kolumner") or {}).items()}
    allowed = _targets(measure, cat)
    for header, target in columns.items():
        if target not in allowed:
            raise ConfigError(f"Profilen {path.name}: kolumnen ”{header}” pekar på ”{target}”, "
                              f"som måttet inte har. Möjliga: {', '.join(sorted(allowed))}.")
    values = {str(col): {str(k).strip().lower(): str(v) for k, v in (mapping or {}).items()}
              for col, mapping in (raw.get("varden") or {}).items()}
    files = raw.get("filnamn") or []
    return Profile(path.stem, path, str(raw.get("system") or path.stem), measure,
                   tuple(str(f) for f in ([files] if isinstance(files, str) else files)),
                   columns, values, str(raw.get("beskrivning") or ""),
                   str(raw.get("datumformat") or ""))


def list_profiles(folder: Path, cat: Catalogue, measure: str | None = None) -> list[Profile]:
    """Every profile in *folder* (for one measure, if given), sorted by name."""
    if not Path(folder).is_dir():
        return []
    found = [load_profile(p, cat) for p in sorted(Path(folder).glob("*.yaml"))]
    return [p for p in found if measure is None or p.measure == measure]


def find(folder: Path, name: str, cat: Catalogue) -> Profile:
    """The profile called *name* in *folder*, or the YAML file *name* itself."""
    direct = Path(name)
    if direct.suffix in (".yaml", ".yml") and direct.exists():
        return load_profile(direct, cat)
    path = Path(folder) / f"{name}.yaml"
    if not path.exists():
        known = ", ".join(p.name for p in list_profiles(folder, cat)) or "(inga)"
        raise UnknownError(f"Okänd profil ”{name}” i {folder}. Kända profiler: {known}.")
    return load_profile(path, cat)


def match(found: list[Profile], file_name: str, measure: str | None = None) -> Profile | None:
    """The first of *found* whose file-name patterns match *file_name* (and *measure*)."""
    lowered = Path(file_name).name.lower()
    for profile in found:
        if measure is not None and profile.measure != measure:
            continue
        if any(fnmatch.fnmatch(lowered, pattern.lower()) for pattern in profile.files):
            return profile
    return None


def save_values(profile: Profile, column: str, mapping: dict[str, str],
                cat: Catalogue) -> Profile:
    """Add source value -> code mappings for *column* to the profile's file; return it reloaded.

    The file's other keys and its leading comment are kept.
    """
    text = profile.path.read_text(encoding="utf-8") if profile.path.exists() else ""
    head = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        head.append(line + "\n")
    raw = (yaml.safe_load(text) if text else None) or {"system": profile.system,
                                                       "matt": profile.measure}
    values = raw.get("varden") or {}
    values[column] = {**(values.get(column) or {}), **mapping}
    raw["varden"] = values
    body = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=100)
    profile.path.parent.mkdir(parents=True, exist_ok=True)
    profile.path.write_text("".join(head) + body, encoding="utf-8")
    return load_profile(profile.path, cat)


def new(folder: Path, name: str, system: str, measure: str) -> Profile:
    """An unsaved profile (written by :func:`save_values`)."""
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name.strip().lower())
    if not stem:
        raise UnknownError("Ge profilen ett namn (bokstäver, siffror, - och _).")
    return Profile(stem, Path(folder) / f"{stem}.yaml", system or stem, measure)


def categories(cat: Catalogue, measure: str, column: str) -> dict[str, str]:
    """The codes (and labels) a source value in *column* can be mapped onto."""
    if column == "kon":
        return {code: f"{labels['vuxna']}/{labels['barn']}" for code, labels in
                cat.sex_labels.items()}
    m = cat.measure(measure)
    if column == "aldersgrupp":
        return {g.code: g.label for g in m.age_groups}
    return dict(m.dimensions[column].categories)

