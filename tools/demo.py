"""Synthetic, deterministic demo data for Luleå (kommunkod 2580), 2019-01 to 2026-10.

Long because all measures are drawn from one seeded random stream in a fixed order: split
across modules, a reordering would silently change every demo file.

``generate(out_dir)`` writes one source file per measure, in the shapes real exports arrive in
(title rows, Windows-1252, a BOM, a "Summa" row, mixed postnummer formats), plus a README.
Every number is made up. A few totals are calibrated to published figures for Luleå
(see ``../shared/DOMAIN.md`` §3) so that the dashboard shows familiar orders of magnitude.

The same seed gives byte-identical files: one numpy generator per file, spawned from
``default_rng(seed)``, fixed timestamps inside the xlsx files, no dependence on the clock.

Only this module and ``geonames`` read ``../shared/geo``; nothing here imports streamlit.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from lagesbild.config import AgeGroup, Catalogue, Config
from lagesbild.geo.geonames import ATTRIBUTION, read_geonames

SEED = 2580
FIRST_MONTH = pd.Period("2019-01", "M")
LAST_MONTH = pd.Period("2026-10", "M")
EXTRACT_DATE = "2026-11-05"
FIXED_TIME = datetime(2026, 11, 5, 8, 0, 0)  # xlsx document properties and zip entries
SYNTHETIC = "SYNTETISKA DEMODATA"

# Postnummer with clearly higher report rates, and the one with a preventive action.
HIGH_RATE_POSTNUMMER = ("97345", "97433", "97452")
HIGH_RATE_FACTOR = 2.3
ACTION_POSTNUMMER = "97442"
ACTION_FACTOR = 1.6  # somewhat raised before the action: the reason it was chosen
ACTION_START = pd.Period("2024-09", "M")
ACTION_NAME = "Fältarbete och skolsamverkan"
ACTION_TEXT = ("Fältassistenter på plats kvällar och helger samt samverkan med områdets "
               "skolor om närvaro och tidiga signaler (syntetiskt exempel)")

# Kinds of area, which shape the age structure. Codes not listed are "villa" (mixed housing).
SUBURBS = ("97332", "97333", "97345", "97346", "97433", "97434", "97435", "97441", "97442",
           "97452", "97453", "97751", "97752")
RURAL_SUFFIXES = ("91", "92", "93", "94", "95", "96", "97", "98")

# Population 31 December (SCB). 2023 and 2024 are calibrated, the rest plausible.
POPULATION_TOTALS = {2018: 77_284, 2019: 77_702, 2020: 78_097, 2021: 78_573, 2022: 78_996,
                     2023: 79_352, 2024: 79_650, 2025: 80_187}
WOMEN_SHARE = 0.489
WOMEN_2023 = 38_803

# Orosanmälningar per calendar year: (girls, boys). 2021 and 2023 are calibrated exactly.
OROS_TOTALS = {2019: (1_104, 1_246), 2020: (1_171, 1_309), 2021: (1_228, 1_394),
               2022: (1_562, 1_588), 2023: (1_997, 1_710), 2024: (1_957, 1_843),
               2025: (2_011, 1_889), 2026: (1_728, 1_622)}

# Executed evictions affecting children (sum of cases), calibrated exactly.
EVICTIONS_WITH_CHILDREN = {2023: 8, 2024: 5}

# Akutboende: booked nights Jan–May 2025, calibrated exactly.
AKUT_NIGHTS_2025_JAN_MAY = 1_209

# Source spellings of sex in the exports (catalogue aliases, not labels).
SEX_CODES = ("K", "M")
CHILD_SEX = {"K": "Flicka", "M": "Pojke"}
ADULT_SEX = {"K": "Kvinna", "M": "Man"}
SCB_SEX = {"K": "kvinnor", "M": "män"}

MAX_AGE = 100
AGES = np.arange(MAX_AGE + 1)


# --------------------------------------------------------------------------- helpers

def _months(first: pd.Period = FIRST_MONTH, last: pd.Period = LAST_MONTH) -> list[pd.Period]:
    return list(pd.period_range(first, last, freq="M"))


def _pn_spaced(code: str) -> str:
    return f"{code[:3]} {code[3:]}"


def _allocate(total: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integers proportional to *weights* summing exactly to *total*.

    Each cell gets the floor of its share; the units left over go to cells drawn in
    proportion to their fractional parts, so small cells are 1 now and then, not never.
    """
    flat = np.asarray(weights, dtype=float).ravel()
    share = flat / flat.sum() * total
    base = np.floor(share).astype(np.int64)
    frac = share - base
    rest = int(total - base.sum())
    if rest:
        base[rng.choice(len(flat), size=rest, replace=False, p=frac / frac.sum())] += 1
    return base.reshape(np.shape(weights))


def _sample_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of *probs* (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return np.minimum((cum < u[:, None]).sum(axis=1), probs.shape[1] - 1)


def _group_index(groups: tuple[AgeGroup, ...], ages: np.ndarray) -> np.ndarray:
    """Index of the age group each age falls in (-1 when none)."""
    out = np.full(len(ages), -1)
    for i, g in enumerate(groups):
        out[[g.contains(int(a)) for a in ages]] = i
    return out


def _weights(categories: dict[str, str], model: dict[str, object], default: object) -> np.ndarray:
    """Model weights in catalogue order; categories the model does not know get *default*."""
    return np.array([model.get(code, default) for code in categories], dtype=float)


def _season(month_numbers: np.ndarray, table: tuple[float, ...]) -> np.ndarray:
    return np.asarray(table, dtype=float)[np.asarray(month_numbers) - 1]


def _write_csv(path: Path, lines: list[str], encoding: str, newline: str = "\n") -> Path:
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    return path


def _frame_lines(frame: pd.DataFrame) -> list[str]:
    columns = [[str(v) for v in frame[c].tolist()] for c in frame.columns]
    return [";".join(frame.columns), *(";".join(row) for row in zip(*columns))]


def _save_workbook(wb: Workbook, path: Path) -> Path:
    """Save with fixed document properties and zip timestamps, so bytes are reproducible."""
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "lagesbild.demo"
    wb.properties.lastModifiedBy = "lagesbild.demo"
    wb.properties.description = f"{SYNTHETIC}: alla tal är påhittade."
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    raw = io.BytesIO()
    wb.save(raw)
    fixed = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            dst.writestr(entry, data)
    path.write_bytes(fixed.getvalue())
    return path


def _sheet(wb: Workbook, title: str, rows: list[list[object]], widths: list[int],
           first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    for row in rows:
        ws.append(row)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    return ws


# --------------------------------------------------------------------------- areas, population

def _areas(rng: np.random.Generator) -> pd.DataFrame:
    """Residential postnummer with a kind, a 2018 size weight and a yearly growth."""
    geo = read_geonames()
    codes = geo["postnummer"].tolist()
    for code in (*HIGH_RATE_POSTNUMMER, ACTION_POSTNUMMER, *SUBURBS):
        if code not in codes:
            raise ValueError(f"Demo postnummer {code} is not a residential code of Luleå.")

    def kind(code: str) -> str:
        if code[3:] in RURAL_SUFFIXES:
            return "landsbygd"
        if code in SUBURBS:
            return "forort"
        if code.startswith("972"):
            return "centrum"
        return "villa"

    kinds = [kind(c) for c in codes]
    ranges = {"landsbygd": (180, 650), "centrum": (650, 1_900), "forort": (2_000, 3_800),
              "villa": (450, 1_700)}
    size = np.array([rng.uniform(*ranges[k]) for k in kinds])
    special = np.isin(codes, [*HIGH_RATE_POSTNUMMER, ACTION_POSTNUMMER])
    size = np.where(special, np.maximum(size, 2_800), size)
    size = np.where(np.array(codes) == ACTION_POSTNUMMER, 3_600, size)  # a clear signal
    growth = rng.normal(0.004, 0.005, len(codes)) + np.select(
        [np.array(kinds) == "forort", np.array(kinds) == "landsbygd"], [0.004, -0.004], 0.0)
    return pd.DataFrame({"postnummer": codes, "postort": geo["postort"], "kind": kinds,
                         "size": size, "growth": growth})


def _age_profile(kind: str) -> np.ndarray:
    """Relative population by single year of age (both sexes) for a kind of area."""
    a = AGES
    base = np.select(
        [a <= 4, a <= 19, a <= 29, a <= 59, a <= 74, a <= 84, a <= 89, a <= 94, a <= 99],
        [0.97, 1.06, 1.30, 1.25, 1.15, 0.80, 0.40, 0.15, 0.04], 0.012)
    mods = {
        "centrum": [(0, 17, 0.55), (19, 29, 2.2), (65, 79, 1.2), (80, 100, 1.9)],
        "forort": [(0, 17, 1.55), (30, 49, 1.3), (19, 27, 0.8), (65, 100, 0.55)],
        "landsbygd": [(0, 17, 0.95), (19, 29, 0.5), (45, 74, 1.35), (80, 100, 0.8)],
        "villa": [(0, 17, 1.05), (19, 26, 0.75)],
    }[kind]
    for low, high, factor in mods:
        base = np.where((a >= low) & (a <= high), base * factor, base)
    return base


def _sex_profile() -> np.ndarray:
    """Relative weight of women and men by age, shape (2, ages)."""
    men = np.where(AGES <= 64, 1.06, np.where(AGES <= 79, 0.97, 0.72))
    return np.vstack([np.ones(len(AGES)), men])


def _population(areas: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Population 31 December, shape (years 2018–2025, areas, sex K/M, ages), integers."""
    years = sorted(POPULATION_TOTALS)
    n_area = len(areas)
    profile = np.stack([_age_profile(k) for k in areas["kind"]])  # (area, age)
    profile = profile[:, None, :] * _sex_profile()[None, :, :]  # (area, sex, age)
    cell_noise = rng.lognormal(0.0, 0.22, profile.shape)
    profile = profile * cell_noise
    profile = profile / profile.sum(axis=(1, 2), keepdims=True)
    pop = np.zeros((len(years), n_area, 2, len(AGES)), dtype=np.int64)
    for i, year in enumerate(years):
        size = areas["size"].to_numpy() * (1 + areas["growth"].to_numpy()) ** (year - 2018)
        weights = size[:, None, None] * profile * rng.lognormal(0.0, 0.05, profile.shape)
        total = POPULATION_TOTALS[year]
        women = WOMEN_2023 if year == 2023 else round(total * WOMEN_SHARE)
        pop[i, :, 0, :] = _allocate(women, weights[:, 0, :], rng)
        pop[i, :, 1, :] = _allocate(total - women, weights[:, 1, :], rng)
    return pop


def _population_file(out: Path, areas: pd.DataFrame, pop: np.ndarray) -> Path:
    years = sorted(POPULATION_TOTALS)
    y, a, s, age = np.nonzero(pop)
    age_text = np.where(AGES == MAX_AGE, f"{MAX_AGE}+", AGES.astype(str))
    frame = pd.DataFrame({
        "År": np.array(years)[y],
        "Postnummer": areas["postnummer"].to_numpy()[a],
        "Kön": np.array([SCB_SEX[c] for c in SEX_CODES])[s],
        "Ålder": age_text[age],
        "Antal": pop[y, a, s, age],
    })
    return _write_csv(out / "befolkning_scb.csv", _frame_lines(frame), "utf-8")


def _grouped(pop: np.ndarray, groups: tuple[AgeGroup, ...]) -> np.ndarray:
    """Sum the age axis (last) into the catalogue's age groups."""
    idx = _group_index(groups, AGES)
    return np.stack([pop[..., idx == g].sum(axis=-1) for g in range(len(groups))], axis=-1)


def _pop_for_year(pop: np.ndarray, year: int) -> np.ndarray:
    years = sorted(POPULATION_TOTALS)
    return pop[years.index(min(max(year, years[0]), years[-1]))]


def _area_factors(areas: pd.DataFrame, rng: np.random.Generator, sigma: float,
                  high: float) -> np.ndarray:
    factor = rng.lognormal(0.0, sigma, len(areas))
    is_high = areas["postnummer"].isin(HIGH_RATE_POSTNUMMER).to_numpy()
    return np.where(is_high, high, factor)


# --------------------------------------------------------------------------- orosanmälningar

# Model weights by life stage 0–5, 6–12, 13–17, 18–20 (internal; labels come from the catalogue).
_OROS_REASONS = {
    "vald_mot_barnet": (8, 10, 9, 5),
    "sexuella_overgrepp": (1.5, 2, 3, 2),
    "bevittnat_vald": (16, 11, 7, 3),
    "omsorgsbrist": (26, 18, 10, 6),
    "foralders_missbruk": (11, 7, 4, 2),
    "foralders_psykiska_ohalsa": (10, 8, 5, 2),
    "hedersrelaterat": (0.3, 1, 2, 2.5),
    "barnets_missbruk": (0, 0.3, 7, 12),
    "barnets_kriminalitet": (0, 3, 22, 30),
    "barnets_psykiska_ohalsa": (0.5, 8, 15, 20),
    "skolfranvaro": (0, 5, 6, 1),
    "ovrigt": (13, 12, 10, 14),
}
_OROS_REASON_SEX = {"barnets_kriminalitet": (0.45, 1.5), "barnets_psykiska_ohalsa": (1.6, 0.6),
                    "sexuella_overgrepp": (1.8, 0.4), "barnets_missbruk": (0.8, 1.2)}
_OROS_REPORTERS = {  # by life stage
    "polis": (22, 15, 34, 38),
    "skola": (0, 30, 22, 8),
    "forskola": (14, 0.5, 0, 0),
    "halso_och_sjukvard": (22, 9, 10, 14),
    "socialtjanst": (14, 11, 10, 12),
    "annan_myndighet": (5, 4, 4, 6),
    "anhorig": (7, 6, 5, 5),
    "barnet_sjalvt": (0, 1.5, 3, 6),
    "privatperson": (8, 6, 4, 3),
    "ideell_organisation": (1, 1, 1, 1.5),
    "ovrigt": (5, 4, 4, 5),
}
_OROS_REPORTER_BY_REASON = {  # multiplicative boosts
    "barnets_kriminalitet": {"polis": 3.0},
    "vald_mot_barnet": {"polis": 1.8, "skola": 1.3},
    "bevittnat_vald": {"polis": 3.0},
    "skolfranvaro": {"skola": 6.0, "polis": 0.1},
    "barnets_psykiska_ohalsa": {"halso_och_sjukvard": 2.5, "skola": 1.3, "polis": 0.5},
    "foralders_psykiska_ohalsa": {"halso_och_sjukvard": 2.0, "socialtjanst": 1.5},
    "foralders_missbruk": {"polis": 1.5, "anhorig": 1.5},
    "barnets_missbruk": {"polis": 2.0},
}
# School holidays: reports from schools and preschools drop in summer.
_SCHOOL_SEASON = (1.0, 1.0, 1.0, 1.0, 1.05, 0.55, 0.08, 0.5, 1.1, 1.05, 1.05, 0.85)
_SCHOOL_REPORTERS = ("skola", "forskola")
_OROS_SEASON = (1.0, 1.04, 1.08, 1.0, 1.08, 0.93, 0.72, 0.92, 1.1, 1.1, 1.07, 0.92)
_LIFE_STAGE_EDGES = (5, 12, 17)


def _life_stage(ages: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(_LIFE_STAGE_EDGES), ages, side="left")


def _oros_age_rate(sex: int) -> np.ndarray:
    a = np.arange(21)
    rate = np.select([a == 0, a <= 5, a <= 12, a <= 15, a <= 17], [1.0, 0.88, 0.98, 1.3, 1.2],
                     0.25)
    teen = (a >= 13) & (a <= 17)
    return np.where(teen, rate * (1.05 if sex == 1 else 0.97), rate)


def action_effect(month: pd.Period) -> float:
    """Multiplier on the action area's rate: half within three months of the start.

    Averaged over the first twelve months that is about 40–45 % below the year before.
    """
    since = (month - ACTION_START).n
    if since < 0:
        return 1.0
    return 1.0 - 0.5 * min(1.0, (since + 1) / 3)


def _orosanmalningar(out: Path, cat: Catalogue, areas: pd.DataFrame, pop: np.ndarray,
                     rng: np.random.Generator) -> tuple[Path, pd.DataFrame]:
    """Write the Combine-style event list; also return the events (month, area) for README."""
    m = cat.measure("orosanmalningar")
    reasons = m.dimensions["orsak"].categories
    reporters = m.dimensions["anmalare"].categories
    months = _months()
    codes = areas["postnummer"].to_numpy()
    base = _area_factors(areas, rng, 0.12, HIGH_RATE_FACTOR)
    is_action = codes == ACTION_POSTNUMMER
    base = np.where(is_action, ACTION_FACTOR, base)

    # Draw (month, area, age) for every report, year by year and sex by sex, exact totals.
    parts = []
    for year, totals in OROS_TOTALS.items():
        ym = [p for p in months if p.year == year]
        season = _season(np.array([p.month for p in ym]), _OROS_SEASON)
        factor = np.array([[f * (action_effect(p) if act else 1.0)
                            for f, act in zip(base, is_action)] for p in ym])  # (month, area)
        children = _pop_for_year(pop, year)[:, :, :21]  # (area, sex, age 0-20)
        for s, total in enumerate(totals):
            w = (season[:, None, None] * factor[:, :, None]
                 * children[None, :, s, :] * _oros_age_rate(s)[None, None, :])
            counts = rng.multinomial(total, (w / w.sum()).ravel()).reshape(w.shape)
            mi, ai, age = np.nonzero(counts)
            reps = counts[mi, ai, age]
            parts.append(pd.DataFrame({
                "month": np.repeat(np.array(ym, dtype=object)[mi], reps),
                "area": np.repeat(ai, reps), "sex": s, "age": np.repeat(age, reps)}))
    ev = pd.concat(parts, ignore_index=True)
    n = len(ev)
    stage = _life_stage(ev["age"].to_numpy())
    sex = ev["sex"].to_numpy()

    reason_w = np.stack([np.array([_OROS_REASONS.get(c, (5, 5, 5, 5))[k] for c in reasons],
                                  dtype=float) for k in range(4)])  # (stage, reason)
    sex_w = np.array([[_OROS_REASON_SEX.get(c, (1.0, 1.0))[s] for c in reasons]
                      for s in range(2)])  # (sex, reason)
    reason = _sample_rows(rng, reason_w[stage] * sex_w[sex])

    rep_w = np.stack([np.array([_OROS_REPORTERS.get(c, (3, 3, 3, 3))[k] for c in reporters],
                               dtype=float) for k in range(4)])  # (stage, reporter)
    boost = np.ones((len(reasons), len(reporters)))
    for i, rc in enumerate(reasons):
        for j, pc in enumerate(reporters):
            boost[i, j] = _OROS_REPORTER_BY_REASON.get(rc, {}).get(pc, 1.0)
    month_no = np.array([p.month for p in ev["month"]])
    school = np.array([c in _SCHOOL_REPORTERS for c in reporters])
    month_w = np.where(school[None, :], np.asarray(_SCHOOL_SEASON)[:, None], 1.0)  # (12, rep)
    reporter = _sample_rows(rng, rep_w[stage] * boost[reason] * month_w[month_no - 1])

    # A date within the month: weekdays more likely than weekends.
    dates = np.empty(n, dtype=object)
    for p, idx in ev.groupby("month", sort=True).indices.items():
        days = pd.date_range(p.start_time, p.end_time.normalize(), freq="D")
        w = np.where(days.day_of_week < 5, 1.0, 0.3)
        dates[idx] = days.strftime("%Y-%m-%d").to_numpy()[
            rng.choice(len(days), size=len(idx), p=w / w.sum())]

    pn = codes[ev["area"].to_numpy()]
    compact = rng.random(n) < 0.10
    pn_text = np.where(compact, pn, np.array([_pn_spaced(c) for c in pn]))
    frame = pd.DataFrame({
        "Inkomstdatum": dates,
        "Postnummer": pn_text,
        "Kön": np.array([CHILD_SEX[c] for c in SEX_CODES])[sex],
        "Ålder": ev["age"].to_numpy(),
        "Aktualiseringsorsak": np.array(list(reasons.values()))[reason],
        "Anmälare": np.array(list(reporters.values()))[reporter],
        "_order": rng.random(n),
    }).sort_values(["Inkomstdatum", "_order"], kind="stable").drop(columns="_order")
    title = ("Aktualiseringar barn och unga 0–20 år, Luleå kommun. "
             f"Uttag ur Combine {EXTRACT_DATE} ({SYNTHETIC})")
    path = _write_csv(out / "orosanmalningar_combine.csv", [title, "", *_frame_lines(frame)],
                      "cp1252", "\r\n")
    return path, ev[["month", "area"]]


# --------------------------------------------------------------------------- våld i nära relation

_VINR_TYPES = {"fysiskt": 38, "psykiskt": 35, "sexuellt": 7, "ekonomiskt": 5,
               "hedersrelaterat": 4, "forsummelse": 4, "ovrigt": 7}
_VINR_TYPE_BY_AGE = {"forsummelse": {"0-17": 6.0, "65+": 5.0}, "hedersrelaterat": {"0-17": 2.0,
                                                                                   "18-24": 2.5}}


def _vinr_age_rate(group: AgeGroup) -> float:
    mid = group.low + 5 if group.high is None else (group.low + group.high) / 2
    return float(np.interp(mid, [8, 21, 34.5, 54.5, 70], [0.45, 1.5, 2.3, 0.75, 0.15]))


def _vald(out: Path, cat: Catalogue, areas: pd.DataFrame, pop: np.ndarray,
          rng: np.random.Generator) -> Path:
    m = cat.measure("vald_i_nara_relation")
    groups = m.age_groups
    types = m.dimensions["valdtyp"].categories
    type_w = _weights(types, _VINR_TYPES, 3.0)
    type_w = np.stack([type_w * np.array([_VINR_TYPE_BY_AGE.get(c, {}).get(g.code, 1.0)
                                          for c in types]) for g in groups])  # (group, type)
    type_w = type_w / type_w.sum(axis=1, keepdims=True)
    area_f = _area_factors(areas, rng, 0.15, 1.6)
    age_f = np.array([_vinr_age_rate(g) for g in groups])
    sex_f = np.array([0.76, 0.24])
    child = np.array([g.high is not None and g.high < 18 for g in groups])
    rows = []
    for p in _months():
        grouped = _grouped(_pop_for_year(pop, p.year), groups)  # (area, sex, group)
        sexf = np.where(child[None, :], 0.5, sex_f[:, None])  # children: both sexes alike
        w = area_f[:, None, None] * sexf[None, :, :] * age_f[None, None, :] * grouped
        w = w[..., None] * type_w[None, None, :, :]
        lam = (375 + 9 * (p.year - 2019)) / 12 * (1.12 if p.month in (1, 7, 12) else 0.97)
        counts = rng.multinomial(rng.poisson(lam), (w / w.sum()).ravel()).reshape(w.shape)
        for a, s, g, t in zip(*np.nonzero(counts)):
            rows.append([str(p), _pn_spaced(areas["postnummer"].iat[a]),
                         ADULT_SEX[SEX_CODES[s]], groups[g].code, list(types.values())[t],
                         int(counts[a, s, g, t])])
    total = sum(r[-1] for r in rows)
    wb = Workbook()
    header = ["Månad", "Postnummer", "Kön", "Åldersgrupp", "Typ av våld", "Antal"]
    title = f"Våld i nära relation – nya ärenden per månad, Luleå ({SYNTHETIC})"
    _sheet(wb, "Ärenden", [[title], [], header, *rows, ["Summa", None, None, None, None, total]],
           [10, 12, 9, 13, 34, 8], first=True)
    return _save_workbook(wb, out / "vald_i_nara_relation.xlsx")


# --------------------------------------------------------------------------- skadligt bruk

_SUBSTANCES = {  # by adult age group position: young, 25-44, 45-64, 65+
    "alkohol": (30, 38, 58, 70), "narkotika": (40, 30, 10, 2), "lakemedel": (4, 6, 10, 16),
    "spel": (6, 5, 3, 2), "blandbruk": (14, 15, 9, 3), "ovrigt": (6, 6, 10, 7)}
_ABUSE_REPORTERS = {"polis": 35, "halso_och_sjukvard": 25, "socialtjanst": 12,
                    "annan_myndighet": 6, "anhorig": 9, "den_enskilde": 4, "privatperson": 6,
                    "ovrigt": 3}
_ABUSE_REPORTER_BY_SUBSTANCE = {
    "narkotika": {"polis": 1.8},
    "lakemedel": {"halso_och_sjukvard": 2.5, "polis": 0.3},
    "spel": {"den_enskilde": 4.0, "anhorig": 2.5, "polis": 0.1},
}


def _skadligt_bruk(out: Path, cat: Catalogue, areas: pd.DataFrame, pop: np.ndarray,
                   rng: np.random.Generator) -> Path:
    m = cat.measure("skadligt_bruk")
    groups = m.age_groups
    substances = m.dimensions["orsak"].categories
    reporters = m.dimensions["anmalare"].categories
    stage = np.clip(np.searchsorted([24, 44, 64], [g.low for g in groups], side="left"), 0, 3)
    sub_w = np.stack([[_SUBSTANCES.get(c, (5, 5, 5, 5))[k] for c in substances]
                      for k in stage]).astype(float)  # (group, substance)
    rep_w = _weights(reporters, _ABUSE_REPORTERS, 4.0)
    boost = np.array([[_ABUSE_REPORTER_BY_SUBSTANCE.get(s, {}).get(r, 1.0) for r in reporters]
                      for s in substances])
    area_f = _area_factors(areas, rng, 0.15, 1.7)
    age_f = np.array([float(np.interp(g.low, [18, 25, 45, 65], [1.3, 1.3, 1.0, 0.35]))
                      for g in groups])
    sex_f = np.array([0.54, 1.0])
    season = (0.95, 0.95, 1.0, 1.0, 1.05, 1.1, 1.1, 1.05, 1.0, 0.95, 0.95, 0.9)
    parts = []
    for p in _months():
        grouped = _grouped(_pop_for_year(pop, p.year), groups)
        w = area_f[:, None, None] * sex_f[None, :, None] * age_f[None, None, :] * grouped
        lam = 1_200 * 1.08 ** (p.year - 2023 + (p.month - 6.5) / 12) / 12 * season[p.month - 1]
        counts = rng.multinomial(rng.poisson(lam), (w / w.sum()).ravel()).reshape(w.shape)
        a, s, g = np.nonzero(counts)
        reps = counts[a, s, g]
        parts.append(pd.DataFrame({"month": str(p), "area": np.repeat(a, reps),
                                   "sex": np.repeat(s, reps), "group": np.repeat(g, reps)}))
    ev = pd.concat(parts, ignore_index=True)
    sub = _sample_rows(rng, sub_w[ev["group"].to_numpy()])
    rep = _sample_rows(rng, rep_w[None, :] * boost[sub])
    ev = ev.assign(sub=sub, rep=rep)
    agg = ev.groupby(["month", "area", "sex", "group", "sub", "rep"]).size().reset_index(
        name="Antal")
    frame = pd.DataFrame({
        "Månad": agg["month"],
        "Postnummer": areas["postnummer"].to_numpy()[agg["area"]],
        "Kön": np.array([ADULT_SEX[c] for c in SEX_CODES])[agg["sex"]],
        "Åldersgrupp": np.array([g.code for g in groups])[agg["group"]],
        "Orsak": np.array(list(substances.values()))[agg["sub"]],
        "Anmälare": np.array(list(reporters.values()))[agg["rep"]],
        "Antal": agg["Antal"],
    })
    return _write_csv(out / "skadligt_bruk.csv", _frame_lines(frame), "utf-8-sig", "\r\n")


# --------------------------------------------------------------------------- vräkningar

def _vrakningar(out: Path, cat: Catalogue, areas: pd.DataFrame, pop: np.ndarray,
                rng: np.random.Generator) -> Path:
    m = cat.measure("vrakningar")
    stages = m.dimensions["skede"].categories
    yes_no = m.dimensions["barn_berorda"].categories
    area_f = _area_factors(areas, rng, 0.2, 2.0)
    area_f = np.where(areas["kind"].eq("centrum"), area_f * 1.3, area_f)
    area_f = np.where(areas["kind"].eq("landsbygd"), area_f * 0.5, area_f)
    months = _months()
    # Expected cases per full year: (stage, children yes/no)
    expected = {("ansokan", "ja"): 34, ("ansokan", "nej"): 106,
                ("verkstalld", "ja"): 6.5, ("verkstalld", "nej"): 21}
    season = np.array([1.05, 1.0, 1.05, 1.0, 1.05, 1.0, 0.6, 0.9, 1.1, 1.1, 1.05, 0.9])
    cases = []
    for year in range(FIRST_MONTH.year, LAST_MONTH.year + 1):
        ym = [p for p in months if p.year == year]
        sw = season[[p.month - 1 for p in ym]]
        year_pop = _pop_for_year(pop, year)
        for (stage, kids), lam in expected.items():
            if stage == "verkstalld" and kids == "ja" and year in EVICTIONS_WITH_CHILDREN:
                n = EVICTIONS_WITH_CHILDREN[year]
            else:
                n = rng.poisson(lam * len(ym) / 12)
            base = year_pop[:, :, :18].sum(axis=(1, 2)) if kids == "ja" else \
                year_pop[:, :, 18:].sum(axis=(1, 2))
            w = (sw[:, None] * (area_f * base)[None, :]).ravel()
            for cell in rng.choice(len(w), size=n, p=w / w.sum()):
                mi, ai = divmod(int(cell), len(areas))
                children = int(min(5, 1 + rng.poisson(0.8))) if kids == "ja" else 0
                cases.append((str(ym[mi]), ai, stage, kids, children))
    df = pd.DataFrame(cases, columns=["month", "area", "stage", "kids", "children"])
    agg = (df.groupby(["month", "area", "stage", "kids"])
           .agg(n=("children", "size"), children=("children", "sum")).reset_index()
           .assign(stage_order=lambda d: d["stage"].map({c: i for i, c in enumerate(stages)}),
                   kids_order=lambda d: d["kids"].map({c: i for i, c in enumerate(yes_no)}))
           .sort_values(["month", "area", "stage_order", "kids_order"]))
    rows = [[r.month, int(areas["postnummer"].iat[r.area]), stages[r.stage], yes_no[r.kids],
             int(r.n), int(r.children)] for r in agg.itertuples()]
    wb = Workbook()
    header = ["Månad", "Postnummer", "Skede", "Barn berörda", "Antal ärenden",
              "Antal berörda barn"]
    _sheet(wb, "Vräkningar", [header, *rows], [10, 12, 26, 14, 15, 19], first=True)
    return _save_workbook(wb, out / "vrakningar_kronofogden.xlsx")


# --------------------------------------------------------------------------- skuldrådgivning

def _skuldradgivning(out: Path, cat: Catalogue, rng: np.random.Generator) -> Path:
    m = cat.measure("skuldradgivning")
    groups = m.age_groups
    kinds = list(m.dimensions["typ"].categories)
    labels = m.dimensions["typ"].categories
    age_share = np.array([float(np.interp(g.low, [18, 25, 45, 65], [0.12, 0.48, 0.32, 0.08]))
                          for g in groups])
    share = np.outer([0.52, 0.48], age_share / age_share.sum())  # (sex, group)
    season = (1.3, 1.15, 1.05, 1.0, 0.95, 0.8, 0.55, 0.85, 1.1, 1.1, 1.05, 0.9)
    stock = np.round(175 * share).astype(np.int64)
    # Warm up one year so the stock is settled when the file starts.
    months = _months(FIRST_MONTH - 12, LAST_MONTH)
    rows = []
    for p in months:
        trend = 1 + 0.03 * (p.year - 2019)
        new = rng.poisson(230 / 12 * trend * season[p.month - 1] * share)
        closed = rng.binomial(stock, 0.085)
        stock = stock + new - closed
        sanering = rng.poisson(40 / 12 * share * (0.5 if p.month == 7 else 1.05))
        if p < FIRST_MONTH:
            continue
        values = {"ny_kontakt": new, "pagaende": stock, "avslutat": closed,
                  "skuldsanering": sanering}
        for s, sex in enumerate(SEX_CODES):
            for g, group in enumerate(groups):
                for kind in kinds:
                    value = int(values.get(kind, np.zeros_like(stock))[s, g])
                    if value:
                        rows.append([str(p), ADULT_SEX[sex], group.code, labels[kind], value])
    frame = pd.DataFrame(rows, columns=["Månad", "Kön", "Åldersgrupp", "Typ av kontakt",
                                        "Antal"])
    return _write_csv(out / "skuldradgivning.csv", _frame_lines(frame), "utf-8")


# --------------------------------------------------------------------------- akutboende

def _places(p: pd.Period) -> int:
    return 12 if p >= pd.Period("2024-01", "M") else 10


def _akutboende(out: Path, rng: np.random.Generator) -> Path:
    months = _months()
    season = np.array([1.12, 1.1, 1.05, 0.98, 0.95, 0.88, 0.85, 0.87, 0.93, 1.0, 1.08, 1.12])
    sex_share = np.array([0.2, 0.8])
    expected = np.array([[245 * season[p.month - 1] * (1.04 if _places(p) == 12 else 1.0)
                          * p.days_in_month / 30.4 * sx for sx in sex_share] for p in months])
    nights = rng.poisson(expected)
    calib = [i for i, p in enumerate(months) if p.year == 2025 and p.month <= 5]
    nights[calib] = _allocate_random(rng, AKUT_NIGHTS_2025_JAN_MAY, expected[calib])
    stay = np.stack([rng.uniform(5.0, 8.0, len(months)), rng.uniform(7.0, 11.0, len(months))],
                    axis=1)
    guests = np.maximum(np.where(nights > 0, 1, 0), np.round(nights / stay)).astype(int)
    rows, place_rows = [], []
    for i, p in enumerate(months):
        capacity = _places(p) * p.days_in_month
        if nights[i].sum() > capacity:
            raise ValueError(f"Akutboende {p}: more nights than places.")
        for s, sex in enumerate(SEX_CODES):
            rows.append([str(p), ADULT_SEX[sex], int(nights[i, s]), int(guests[i, s])])
        place_rows.append([str(p), _places(p)])
    wb = Workbook()
    header = ["Månad", "Kön", "Belagda nätter", "Unika gäster under månaden"]
    _sheet(wb, "Beläggning", [header, *rows], [10, 9, 16, 28], first=True)
    _sheet(wb, "Platser", [["Månad", "Platser"], *place_rows], [10, 9])
    return _save_workbook(wb, out / "akutboende.xlsx")


def _allocate_random(rng: np.random.Generator, total: int, expected: np.ndarray) -> np.ndarray:
    """A multinomial draw with a fixed total, shaped like *expected*."""
    p = expected.ravel() / expected.sum()
    return rng.multinomial(total, p).reshape(expected.shape)


# --------------------------------------------------------------------------- KIA

_KIA_UNITS = {"mottagning": 22, "forsorjningsstod": 22, "akutboendet": 20, "vuxenenheten": 10,
              "barn_och_unga": 10, "oppenvard": 6, "familjehem": 4, "ovrigt": 6}
_KIA_TYPES = {"hot": 60, "vald": 15, "trakasserier": 25}
_KIA_SEVERITY = {"hot": (0.72, 0.24, 0.04), "vald": (0.45, 0.42, 0.13),
                 "trakasserier": (0.85, 0.14, 0.01)}
# Incidents per year (2026: January–October). The step in 2024 is the improved reporting routine.
KIA_PER_YEAR = {2019: 63, 2020: 57, 2021: 61, 2022: 66, 2023: 68, 2024: 91, 2025: 104,
                2026: 88}


def _kia(out: Path, cat: Catalogue, rng: np.random.Generator) -> Path:
    m = cat.measure("kia")
    units = m.dimensions["enhet"].categories
    types = m.dimensions["typ"].categories
    severity = m.dimensions["allvarlighet"].categories
    unit_w = _weights(units, _KIA_UNITS, 4.0)
    type_w = _weights(types, _KIA_TYPES, 10.0)
    sev_w = np.array([[_KIA_SEVERITY.get(t, (0.7, 0.25, 0.05))[min(k, 2)]
                       for k in range(len(severity))] for t in types])  # (type, severity)
    w = unit_w[:, None, None] * type_w[None, :, None] * sev_w[None, :, :]
    season = np.array([1.0, 1.0, 1.05, 1.0, 1.0, 0.95, 0.8, 0.95, 1.05, 1.05, 1.05, 1.1])
    rows = []
    months = _months()
    for year, total in KIA_PER_YEAR.items():
        ym = [p for p in months if p.year == year]
        cells = season[[p.month - 1 for p in ym]][:, None, None, None] * w[None]
        counts = rng.multinomial(total, (cells / cells.sum()).ravel()).reshape(cells.shape)
        for mi, u, t, s in zip(*np.nonzero(counts)):
            rows.append([str(ym[mi]), list(units.values())[u], list(types.values())[t],
                         list(severity.values())[s], int(counts[mi, u, t, s])])
    wb = Workbook()
    titles = [["Hot- och våldsincidenter mot personal rapporterade i KIA"],
              [f"Socialförvaltningen, Luleå ({SYNTHETIC})"], []]
    header = ["Månad", "Enhet", "Typ av incident", "Allvarlighetsgrad", "Antal"]
    _sheet(wb, "KIA", [*titles, header, *rows], [10, 26, 16, 18, 8], first=True)
    return _save_workbook(wb, out / "kia_incidenter.xlsx")


# --------------------------------------------------------------------------- insatser, README

def _insatser(out: Path) -> Path:
    lines = ["Postnummer;Start;Insats;Beskrivning",
             f"{ACTION_POSTNUMMER};{ACTION_START.start_time:%Y-%m-%d};{ACTION_NAME};{ACTION_TEXT}"]
    return _write_csv(out / "insatser.csv", lines, "utf-8")


def _n(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _dec(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %".replace(".", ",")


def _oros_patterns(areas: pd.DataFrame, pop: np.ndarray,
                   events: pd.DataFrame) -> tuple[dict[str, float], tuple[float, float]]:
    """Realised patterns: 2023 rate ratio of the high areas; the action area before/after."""
    codes = areas["postnummer"].to_numpy()
    kids = {y: _pop_for_year(pop, y)[:, :, :21].sum(axis=(1, 2)) for y in (2023, 2024, 2025)}
    year = np.array([p.year for p in events["month"]])
    per_area = np.bincount(events["area"].to_numpy()[year == 2023], minlength=len(codes))
    municipal = per_area.sum() / kids[2023].sum()
    ratios = {c: per_area[i] / kids[2023][i] / municipal for i, c in enumerate(codes)
              if c in HIGH_RATE_POSTNUMMER}
    i = int(np.flatnonzero(codes == ACTION_POSTNUMMER)[0])
    since = np.array([(p - ACTION_START).n for p in events["month"]])
    mine = events["area"].to_numpy() == i
    before = ((since >= -12) & (since < 0) & mine).sum() / kids[2024][i] * 1_000
    after = ((since >= 0) & (since < 12) & mine).sum() / kids[2025][i] * 1_000
    return ratios, (before, after)


def _readme(out: Path, areas: pd.DataFrame, pop: np.ndarray, events: pd.DataFrame) -> Path:
    years = sorted(POPULATION_TOTALS)
    i23, i24 = years.index(2023), years.index(2024)
    women23 = int(pop[i23, :, 0, :].sum())
    kids = {y: int(pop[i, :, :, :21].sum()) for i, y in enumerate(years)}
    postort = dict(zip(areas["postnummer"], areas["postort"]))
    ratios, (before, after) = _oros_patterns(areas, pop, events)
    high = "\n".join(f"  - {_pn_spaced(c)} ({postort[c]}): {_dec(ratios[c])} gånger kommunens "
                     "nivå 2023" for c in HIGH_RATE_POSTNUMMER)
    oros = "\n".join(f"| {y} | {_n(g)} | {_n(b)} | {_n(g + b)} |"
                     for y, (g, b) in OROS_TOTALS.items())
    text = f"""# Demodata: Luleå kommun (2580), 2019-01 – 2026-10

**ALLA TAL I DESSA FILER ÄR SYNTETISKA (PÅHITTADE).** De beskriver inga verkliga personer,
ärenden eller områden. Några totaler är kalibrerade mot publicerade siffror (se nedan) så att
nivåerna känns igen; fördelningen på postnummer, kön, ålder, månad och kategorier är slumpad.

Filerna skapas av `tools/demo.py` (`python -m lagesbild demo`) med fröet {SEED}: samma frö
ger byte-identiska filer. Ändra i generatorn, inte i filerna; även denna README skrivs om.

## Filerna

| Fil | Innehåll | Format och avsiktliga egenheter |
|---|---|---|
| `befolkning_scb.csv` | Folkmängd 31 december 2018–2025 per postnummer, kön och ettårsålder (0–99, `100+`) | UTF-8, `;`, som ett SCB-uttag. Kön `kvinnor`/`män`. Rader med 0 är utelämnade. 2026 är inte publicerat. |
| `orosanmalningar_combine.csv` | Orosanmälningar/aktualiseringar barn och unga 0–20 år, **en rad per anmälan** | Windows-1252, `;`, CRLF. Rad 1 är en titelrad (med tankstreck –), rad 2 tom, rubrik på rad 3. Postnummer oftast `972 31`, ca 10 % `97231`. Kön `Flicka`/`Pojke`, ålder i hela år. |
| `vald_i_nara_relation.xlsx` | Våld i nära relation, nya ärenden per månad (blad ”Ärenden”) | Titel i A1, tom rad 2, rubrik på rad 3, en **Summa-rad** sist. Postnummer `972 31`, kön `Kvinna`/`Man`, åldersgrupperna 0-17 … 65+. Månad som text. |
| `skadligt_bruk.csv` | Anmälningar skadligt bruk och beroende, vuxna, per månad (förräknade antal) | UTF-8 **med BOM**, `;`, CRLF. Postnummer `97231`. Rader med 0 utelämnade. |
| `vrakningar_kronofogden.xlsx` | Vräkningar: ansökningar hos Kronofogden och verkställda (blad ”Vräkningar”) | Rubrik på rad 1. **Postnummer lagrat som tal** (97231). Antal berörda barn är 0 när Barn berörda = Nej. |
| `skuldradgivning.csv` | Budget- och skuldrådgivning per månad, kön, åldersgrupp och typ (ny kontakt, pågående vid månadens slut, avslutat, ansökan om skuldsanering) | UTF-8, `;`. Inget postnummer. Rader med 0 utelämnade. |
| `akutboende.xlsx` | Akutboende: belagda nätter och unika gäster per månad och kön (blad ”Beläggning”), antal platser per månad (blad ”Platser”, 10 platser, 12 från 2024-01) | Rubrik på rad 1, två blad. |
| `kia_incidenter.xlsx` | Hot- och våldsincidenter mot personal rapporterade i KIA (blad ”KIA”) | Två titelrader, tom rad 3, rubrik på rad 4. Rader med 0 utelämnade. |
| `insatser.csv` | Förebyggande insatser per postnummer (en insats) | UTF-8, `;`. |

Månader skrivs `2019-01` (text) i alla filer utom orosanmälningarna, som har inkomstdatum.
Kategorier står som katalogens svenska etiketter (`lagesbild/katalog.yaml`). Kön stavas olika
i olika system, som i verkligheten: `kvinnor`/`män` (SCB), `Flicka`/`Pojke` (Combine),
`Kvinna`/`Man` (övriga); alla är alias i katalogen.

## Kalibrering (riktiga, publicerade siffror)

Källor: Luleå kommuns socialnämnd, handlingar till sammanträdet 2025-09-25 (delårsuppföljning
och ”Samlad lägesbild och åtgärdsplan för Luleå kommun”), och Kolada; sammanfattade i
`DOMAIN.md` §3. Exakt i demodata:

- Orosanmälningar 0–20 år: 2021 flickor 1 228, pojkar 1 394 (totalt 2 622); 2023 flickor
  1 997, pojkar 1 710 (totalt 3 707).
- Folkmängd 31 dec 2023: 79 352, varav {_n(women23)} kvinnor ({_pct(women23 / 79_352)});
  2024: {_n(int(pop[i24].sum()))}.
- Verkställda vräkningar som berör barn (Skede Verkställd, Barn berörda Ja, summa Antal ärenden):
  2023 = 8 och 2024 = 5, alltså 10,1 och 6,3 per 100 000 invånare.
- Akutboende januari–maj 2025: 1 209 belagda nätter.

Övriga år och mått är rimliga påhittade nivåer: orosanmälningar per år (flickor, pojkar,
totalt; 2026 avser januari–oktober):

| År | Flickor | Pojkar | Totalt |
|---|---|---|---|
{oros}

Barn och unga 0–20 år är {_pct(kids[2023] / 79_352)} av befolkningen 2023. Våld i nära relation
ca 350–450 nya ärenden per år (ca 70 % kvinnor, flest 25–44 år). Skadligt bruk ökar med ca 8 %
per år (ca 1 200 anmälningar 2023; 2019 lägre, 2025 högre), ca 65 % män, alkohol vanligast.
Skuldrådgivning ca 230 nya kontakter och ca 40 ansökningar om skuldsanering per år;
”Pågående” är antalet öppna ärenden vid månadens slut (ett bestånd: summera inte över månader).
Akutboendet ca 80 % män, fler nätter vintertid.

## Mönster att hitta i demon

- **Högre nivå av orosanmälningar:** tre postnummer har ungefär 2–2,5 gånger kommunens
  anmälningar per barn 0–20 år (och något högre nivåer av våld i nära relation, skadligt bruk
  och vräkningar):
{high}

  Övriga postnummer ligger kring kommunens nivå, med slumpvariation som är stor i små områden
  (några landsbygdsnummer med färre än 50 barn hamnar högt eller lågt av en slump).
- **Förebyggande insats:** {_pn_spaced(ACTION_POSTNUMMER)} ({postort[ACTION_POSTNUMMER]}) hade en
  något förhöjd nivå. Där startade {ACTION_START.start_time:%Y-%m-%d} en insats med
  fältarbete och skolsamverkan (`insatser.csv`). Anmälningar per 1 000 barn 0–20 år:
  {_dec(before)} de tolv månaderna före (2023-09 – 2024-08), {_dec(after)} de tolv månaderna
  efter (2024-09 – 2025-08), alltså {_pct(1 - after / before)} lägre, medan resten av
  kommunen ökar.
- **Säsong:** anmälningar från skola och förskola sjunker kraftigt i juli (och delvis juni
  och augusti); totalt är juli lägst.
- **Datakvalitet (KIA):** incidenterna ökar från 2024, främst för att rutinen för att rapportera i
  KIA förbättrades, inte nödvändigtvis för att hot och våld blev vanligare. Visa det som en
  kvalitetsnotering i diagram.

## Licens och källor

{ATTRIBUTION} (https://creativecommons.org/licenses/by/4.0/); bara
bostadspostnummer (972–977, 954, 955, utom box- och företagsnummer). Tilldelningen av storlek, åldersstruktur och nivåer per
postnummer är påhittad och säger inget om de verkliga områdena.
"""
    path = out / "README.md"
    path.write_bytes(text.encode("utf-8"))
    return path


# --------------------------------------------------------------------------- entry point

def generate(out_dir: Path, seed: int = SEED, config: Config | None = None) -> list[Path]:
    """Write every demo file into *out_dir* and return their paths.

    Deterministic: the same seed gives byte-identical files.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cat = (config or Config.from_env()).catalogue
    rngs = np.random.default_rng(seed).spawn(8)
    areas = _areas(rngs[0])
    pop = _population(areas, rngs[0])
    oros_path, oros_events = _orosanmalningar(out, cat, areas, pop, rngs[1])
    return [
        _population_file(out, areas, pop),
        oros_path,
        _vald(out, cat, areas, pop, rngs[2]),
        _skadligt_bruk(out, cat, areas, pop, rngs[3]),
        _vrakningar(out, cat, areas, pop, rngs[4]),
        _skuldradgivning(out, cat, rngs[5]),
        _akutboende(out, rngs[6]),
        _kia(out, cat, rngs[7]),
        _insatser(out),
        _readme(out, areas, pop, oros_events),
    ]


def publish(out_dir: Path, config: Config | None = None) -> Path:
    """Publish every month of the demo files in *out_dir* once and ship the releases beside
    them (``publicering.arrow``), so a new demo store starts published without drawing the
    noise again (a few minutes: every month of every measure is measured at every level)."""
    import tempfile
    from dataclasses import replace

    from lagesbild.release import publish as publishing
    from lagesbild.store import ingest

    cfg = replace(config or Config.from_env(), demo_dir=Path(out_dir))
    with tempfile.TemporaryDirectory() as tmp:
        local = replace(cfg, db_url=f"sqlite:///{Path(tmp) / 'demo.sqlite'}", demo=False)
        engine = ingest.open_store(local)
        ingest.load_demo(engine, local)
        publishing.publish_history(engine, local, created_by="demo")
        path = Path(out_dir) / publishing.DEMO_RELEASES
        publishing.export_releases(engine, path)
        engine.dispose()
    return path
