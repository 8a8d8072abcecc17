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

Each file is read with ``yaml.safe_load`` and checked on its own against a schema
(:class:`_Schema`, pydantic); a broken one is named with a Swedish message and skipped
(:func:`scan`), so it never blocks imports that use other profiles. Profile names are plain
file names, and a new profile never overwrites an existing file.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from lagesbild.codes import POPULATION
from lagesbild.config import Catalogue
from lagesbild.errors import ConfigError, UnknownError
from lagesbild.intake import personnummer

log = logging.getLogger(__name__)

# A profile's name is its file's stem: letters, digits, - and _, never a path or a dot file.
_SAFE_NAME = re.compile(r"[a-z0-9åäöü][a-z0-9åäöü_-]{0,63}")
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
    saved: bool = True  # False: made by new(), no file yet


def _targets(measure: str, cat: Catalogue) -> set[str]:
    """Our column names a profile may map a header onto."""
    common = {"month", "date", "postnummer", "kon", "alder", "aldersgrupp", "ar", "antal"}
    if measure == POPULATION:
        return common
    m = cat.measure(measure)
    return common | set(m.dimensions) | set(m.variables)


def _scalar(value):
    """YAML reads 12 as a number and yes as True; a profile means the text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_scalar)]


def _none_is_empty(value):
    return {} if value is None else value


class _Schema(BaseModel):
    """What a profile file may hold; every key is optional except ``matt``."""

    model_config = ConfigDict(extra="forbid", strict=False)

    matt: Text
    system: Text | None = None
    beskrivning: Text | None = None
    filnamn: Text | list[Text] | None = None
    kolumner: Annotated[dict[Text, Text], BeforeValidator(_none_is_empty)] = {}
    varden: Annotated[dict[Text, Annotated[dict[Text, Text], BeforeValidator(_none_is_empty)]],
                      BeforeValidator(_none_is_empty)] = {}
    datumformat: Text | None = None


_KINDS = {"string_type": "en text", "dict_type": "nycklar med värden (nyckel: värde)",
          "list_type": "en lista", "missing": None, "extra_forbidden": None}
_KEYS = ("matt", "system", "beskrivning", "filnamn", "kolumner", "varden", "datumformat")


def _swedish(name: str, error: ValidationError) -> str:
    """The first problem of a profile file, in Swedish, naming the key."""
    first = error.errors()[0]
    where = " → ".join(str(part) for part in first["loc"] if not isinstance(part, int)
                       and part not in ("str", "list[str]", "function-before[_scalar(), str]"))
    kind = first["type"]
    if kind == "missing":
        return f"Profilen {name} saknar nyckeln ”{where}”."
    if kind == "extra_forbidden":
        return (f"Profilen {name} har en okänd nyckel ”{where}”. Tillåtna: "
                f"{', '.join(_KEYS)}.")
    expected = _KINDS.get(kind) or "en text"
    for e in error.errors():  # a union (text or list): say both
        if e["loc"][:1] == ("filnamn",):
            expected = "en text eller en lista av texter"
    return f"Profilen {name}: ”{where}” ska vara {expected}."


def load_profile(path: Path, cat: Catalogue) -> Profile:
    """Read and check one profile; a ConfigError in Swedish names what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnknownError(f"Profilen {path} finns inte.") from None
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"Profilen {path.name} går inte att läsa (inte en textfil i "
                          "UTF-8?).") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (rad {mark.line + 1})" if mark is not None else ""
        log.info("profile %s: %s", path, exc)
        raise ConfigError(f"Profilen {path.name} är inte giltig YAML{where}. Kontrollera "
                          "indrag, kolon och citattecken; taggar som !!python är inte "
                          "tillåtna.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"Profilen {path.name} ska vara nycklar med värden (matt: …, "
                          "system: …), inte en lista eller en ensam text.")
    try:
        spec = _Schema.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_swedish(path.name, exc)) from None
    measure = spec.matt
    if measure != POPULATION:
        try:
            cat.measure(measure)
        except UnknownError as exc:
            raise ConfigError(f"Profilen {path.name}: {exc.message}") from None
    columns = {k.strip().lower(): _COLUMN_NAMES.get(v, v) for k, v in spec.kolumner.items()}
    allowed = _targets(measure, cat)
    for header, target in columns.items():
        if target not in allowed:
            raise ConfigError(f"Profilen {path.name}: kolumnen ”{header}” pekar på ”{target}”, "
                              f"som måttet inte har. Möjliga: {', '.join(sorted(allowed))}.")
    values = {col: {k.strip().lower(): v for k, v in mapping.items()}
              for col, mapping in spec.varden.items()}
    files = spec.filnamn or []
    return Profile(path.stem, path, spec.system or path.stem, measure,
                   tuple([files] if isinstance(files, str) else files),
                   columns, values, spec.beskrivning or "", spec.datumformat or "")


def scan(folder: Path, cat: Catalogue, measure: str | None = None
         ) -> tuple[list[Profile], list[str]]:
    """Every usable profile in *folder* (for one measure, if given), sorted by name, and a
    Swedish warning for each file that cannot be used (it is skipped, nothing else is)."""
    if not Path(folder).is_dir():
        return [], []
    found, broken = [], []
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            profile = load_profile(path, cat)
        except (ConfigError, UnknownError) as err:
            log.warning("profile skipped: %s", err.message)
            broken.append(f"{err.message} Profilen används inte förrän den är rättad.")
            continue
        if measure is None or profile.measure == measure:
            found.append(profile)
    return found, broken


def list_profiles(folder: Path, cat: Catalogue, measure: str | None = None) -> list[Profile]:
    """Every usable profile in *folder* (for one measure, if given); broken ones are skipped."""
    return scan(folder, cat, measure)[0]


def _checked_name(name: str) -> str:
    stem = "_".join(name.strip().lower().split())
    if not _SAFE_NAME.fullmatch(stem):
        raise UnknownError("Profilens namn får bara innehålla bokstäver, siffror, - och _ "
                           "(högst 64 tecken, inte börja med punkt eller bindestreck), till "
                           "exempel lifecare_orosanmalningar.")
    return stem


def find(folder: Path, name: str, cat: Catalogue) -> Profile:
    """The profile called *name* in *folder*, or the YAML file *name* itself."""
    direct = Path(name)
    if direct.suffix in (".yaml", ".yml") and direct.exists():
        return load_profile(direct, cat)
    path = Path(folder) / f"{_checked_name(name)}.yaml"
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

    The file's other keys and its leading comment are kept. A new profile (from :func:`new`)
    is created only if no file has that name meanwhile, and an existing file is written only
    if it still holds a profile of the same measure.
    """
    if profile.saved:
        current = load_profile(profile.path, cat)  # still a valid profile on disk?
        if current.measure != profile.measure:
            raise ConfigError(f"Profilen {profile.name} gäller nu {current.measure}, inte "
                              f"{profile.measure}; inget har sparats.")
        text = profile.path.read_text(encoding="utf-8")
    else:
        text = ""
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
    if profile.saved:
        profile.path.write_text("".join(head) + body, encoding="utf-8")
    else:
        try:
            with open(profile.path, "x", encoding="utf-8") as out:  # never over another file
                out.write("".join(head) + body)
        except FileExistsError:
            raise ConfigError(_taken(profile.name, profile.path, cat)) from None
    return load_profile(profile.path, cat)


def _taken(stem: str, path: Path, cat: Catalogue) -> str:
    try:
        other = f" (för {load_profile(path, cat).measure})"
    except (ConfigError, UnknownError):
        other = ""
    return (f"Det finns redan en profil som heter {stem}{other}. Välj den i listan, eller ge "
            "den nya profilen ett annat namn; inget har sparats.")


def new(folder: Path, name: str, system: str, measure: str, cat: Catalogue | None = None
        ) -> Profile:
    """An unsaved profile (written by :func:`save_values`); refused if the name is taken."""
    personnummer.refuse_typed({"Profilens namn": name, "Källsystem": system})
    stem = _checked_name(name) if name and name.strip() else ""
    if not stem:
        raise UnknownError("Ge profilen ett namn (bokstäver, siffror, - och _).")
    path = Path(folder) / f"{stem}.yaml"
    if path.exists():
        if cat is None:
            raise ConfigError(f"Det finns redan en profil som heter {stem}. Ge den nya "
                              "profilen ett annat namn; inget har sparats.")
        raise ConfigError(_taken(stem, path, cat))
    return Profile(stem, path, system or stem, measure, saved=False)


def categories(cat: Catalogue, measure: str, column: str) -> dict[str, str]:
    """The codes (and labels) a source value in *column* can be mapped onto."""
    if column == "kon":
        return {code: f"{labels['vuxna']}/{labels['barn']}" for code, labels in
                cat.sex_labels.items()}
    m = cat.measure(measure)
    if column == "aldersgrupp":
        return {g.code: g.label for g in m.age_groups}
    return dict(m.dimensions[column].categories)

