"""Actions and their effect per indicator: the four cells (``analysis.effect``), published
(``release``), and the ratio, interval and verdict worked out from the published counts. The
action pages, the meeting agenda and ``python -m lagesbild atgarder`` all call :func:`table`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate, effect
from lagesbild.config import Config
from lagesbild.present import columns as col
from lagesbild.release import disclosure
from lagesbild.store.process import Action

COLUMNS = ["id", "titel", "omrade", "start", "matt", "urval", "fore", "efter", "antal_fore",
           "antal_efter", "befolkning_fore", "befolkning_efter", "per_1000_fore",
           "per_1000_efter", "ovriga_per_1000_fore", "ovriga_per_1000_efter", "kvot", "ki_lag",
           "ki_hog", "kod", "slutsats", "spridning", "forlopp", "forlopp_kort",
           "placebo_lika_stora",
           "placebo_antal", "placebo", "varning"]
PEAK_WARNING = ("Varning: åtgärden startade direkt efter en topp i området. En del av "
                "minskningen kan vara en återgång till det vanliga (regression mot "
                "medelvärdet), inte åtgärdens effekt.")


def filters_of(action: Action, indicator, measure=None) -> aggregate.Filters:
    """The action's target group and the indicator's categories as filters; a dimension the
    indicator does not narrow counts what the overview counts (evictions: applications), so
    the stages of one case are not added up."""
    chosen = dict(indicator.kategorier)
    if measure is not None:
        chosen = {**dict(measure.headline_filter), **chosen}
    return aggregate.Filters(kon=(action.kon,) if action.kon else (),
                             aldersgrupp=(action.aldersgrupp,) if action.aldersgrupp else (),
                             categories=tuple(chosen.items()))


def publish(cells: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """The four cells through disclosure control; rates from the published counts."""
    keyed = cells.assign(per_1000=1000 * cells["antal"] / cells["befolkning"])
    return disclosure.protect(keyed, threshold, count_cols=("antal", "befolkning"))


def _row(action: Action, indicator, w: effect.Windows | None, shown: pd.DataFrame | None,
         exact: bool, follow: "Follow | None" = None, noise_var: float = 0.0) -> dict:
    row = {"id": action.id, "titel": action.titel, "omrade": action.place,
           "start": action.start.isoformat(), "matt": indicator.matt,
           "urval": "; ".join(f"{d}={','.join(v)}" for d, v in indicator.kategorier)}
    if w is None:
        return row | {"kod": "kort", "slutsats": effect.VERDICTS["kort"]}
    row |= {"fore": f"{w.before.start:%Y-%m} – {w.before.end:%Y-%m}",
            "efter": f"{w.after.start:%Y-%m} – {w.after.end:%Y-%m}"}
    if shown is None:
        code = "ingen_kontroll" if not action.postnummer else "ingen_postnummer"
        return row | {"kod": code, "slutsats": effect.VERDICTS[code]}
    cell = {(r.omrade, r.period): r for r in shown.itertuples()}
    a0, a1 = cell["atgard", "fore"], cell["atgard", "efter"]
    r0, r1 = cell["ovriga", "fore"], cell["ovriga", "efter"]
    row |= {"antal_fore": a0.antal, "antal_efter": a1.antal,
            "befolkning_fore": a0.befolkning, "befolkning_efter": a1.befolkning,
            "per_1000_fore": a0.per_1000, "per_1000_efter": a1.per_1000,
            "ovriga_per_1000_fore": r0.per_1000, "ovriga_per_1000_efter": r1.per_1000}
    if w.after.months < effect.MIN_AFTER_MONTHS:
        return row | {"kod": "kort", "slutsats": effect.VERDICTS["kort"]}
    phi = follow.phi if follow is not None else 1.0
    est = effect.estimate(a0.antal, a1.antal, r0.antal, r1.antal, a0.befolkning,
                          a1.befolkning, r0.befolkning, r1.befolkning, phi, noise_var,
                          w.after.months)
    digits = 4 if exact else 2  # published: no more precision than the counts bear
    row |= {"kvot": round(est.kvot, digits), "ki_lag": round(est.ki_lag, digits),
            "ki_hog": round(est.ki_hog, digits), "kod": est.slutsats,
            "slutsats": est.text, "spridning": round(phi, 2)}
    if follow is not None:
        row |= {"forlopp": follow.text, "forlopp_kort": follow.short,
                "varning": PEAK_WARNING if follow.peak else ""}
        k, n = effect.as_large(est.kvot, follow.placebos)
        if n:
            row |= {"placebo_lika_stora": k, "placebo_antal": n,
                    "placebo": f"Så ofta ger slumpen en lika stor skillnad: {k} av {n} "
                               f"jämförelser där inget gjordes ({fmt.percent(100 * k / n)})."}
    return row


@dataclass(frozen=True)
class Follow:
    """An action's effect followed over time, its dispersion, placebo runs and peak check."""

    phi: float
    halfyears: pd.DataFrame  # fran, till, manader, kvot, ki_lag, ki_hog, kod (published)
    placebos: pd.DataFrame  # see analysis.effect.placebo
    peak: bool

    @property
    def text(self) -> str:
        """"sep 2024–feb 2025 0,52 (0,38–0,71); …"."""
        parts = []
        for r in self.halfyears.itertuples():
            value = "för få" if pd.isna(r.kvot) else (
                f"{fmt.number(r.kvot, 2)} ({fmt.number(r.ki_lag, 2)}–"
                f"{fmt.number(r.ki_hog, 2)})")
            parts.append(f"{fmt.month_short(r.fran)}–{fmt.month_short(r.till)} {value}")
        return "; ".join(parts)

    @property
    def short(self) -> str:
        """"0,64 → 0,41 → 0,67": the ratio per half-year, for a table cell."""
        return " → ".join("–" if pd.isna(k) else fmt.number(k, 2)
                          for k in self.halfyears["kvot"])


def _published_panel(frame, population, measure, filters, first, last, threshold):
    """Published monthly counts per postnummer (month × postnummer; NaN: unknown or hidden)
    and the target population per postnummer and year."""
    long, pops = effect.panel(frame, population, measure, filters, first, last)
    months = pd.date_range(first, last, freq="MS")
    areas = sorted(set(long["postnummer"]) | set(pops.columns))
    grid = pd.MultiIndex.from_product([months, areas], names=["month", "postnummer"])
    full = long.set_index(["month", "postnummer"]).reindex(grid, fill_value=0).reset_index()
    delivered = set(pd.to_datetime(frame["month"]).unique())
    unknown = ~full["month"].isin(delivered)
    safe = disclosure.protect(full, threshold, rate_cols=())
    values = safe["antal"].astype("Float64").astype(float).mask(unknown.to_numpy())
    wide = pd.DataFrame({"month": full["month"], "postnummer": full["postnummer"],
                         "antal": values.to_numpy()}).pivot(
        index="month", columns="postnummer", values="antal")
    return wide, pops


def follow(cfg: Config, frame: pd.DataFrame, population: pd.DataFrame, measure,
           action: Action, indicator, latest, noise_var: float = 0.0,
           exact: bool = False) -> Follow | None:
    """The effect of *action* on *indicator* per half-year since its start (each against the
    same calendar months the year before), with the overdispersion of the pre-period, the
    placebo runs and the peak check; None when the action has no area to compare."""
    if not action.postnummer or "postnummer" not in measure.dimension_columns \
            or latest is None:
        return None
    start = pd.Timestamp(action.start).to_period("M").to_timestamp()
    stop = pd.Timestamp(latest).to_period("M").to_timestamp()
    if action.slut is not None:
        stop = min(stop, pd.Timestamp(action.slut).to_period("M").to_timestamp())
    filters = filters_of(action, indicator, measure)
    first = start - pd.DateOffset(months=effect.PRE_MONTHS)
    wide, pops = _published_panel(frame, population, measure, filters, first, max(stop, start),
                                  cfg.threshold)
    inside = [c for c in action.postnummer if c in wide.columns]
    others = [c for c in wide.columns if c not in inside]
    pre = wide[wide.index < start]
    a_m = pre[inside].sum(axis=1, min_count=max(len(inside), 1))
    r_m = pre[others].sum(axis=1, min_count=1)
    phi = effect.share_dispersion(a_m, r_m)
    peak = effect.after_peak(a_m, r_m, start, phi)
    rows = []
    for hw in effect.halfyears(start, latest, action.slut):
        c = effect.cells(frame, population, measure, action.postnummer, hw, filters)
        shown = c.assign(per_1000=1000 * c["antal"] / c["befolkning"]) if exact \
            else publish(c, cfg.threshold)
        cell = {(r.omrade, r.period): r for r in shown.itertuples()}
        est = effect.estimate(*(cell[k].antal for k in (("atgard", "fore"), ("atgard", "efter"),
                                                        ("ovriga", "fore"), ("ovriga", "efter"))),
                              *(cell[k].befolkning for k in (
                                  ("atgard", "fore"), ("atgard", "efter"), ("ovriga", "fore"),
                                  ("ovriga", "efter"))), phi, noise_var, hw.after.months)
        rows.append({"fran": hw.after.start, "till": hw.after.end, "manader": hw.after.months,
                     "kvot": round(est.kvot, 2), "ki_lag": round(est.ki_lag, 2),
                     "ki_hog": round(est.ki_hog, 2), "kod": est.slutsats})
    halves = pd.DataFrame(rows, columns=["fran", "till", "manader", "kvot", "ki_lag", "ki_hog",
                                         "kod"])
    placebos = effect.placebo(wide, pops, inside, start, latest, action.slut, noise_var)
    return Follow(phi, halves, placebos, peak)


def table(cfg: Config, counts: dict[str, pd.DataFrame], population: pd.DataFrame,
          actions: list[Action], latest: pd.Timestamp | None, *, exact: bool = False,
          noise_var: float = 0.0) -> pd.DataFrame:
    """One row per action and indicator: periods, published counts, populations and rates
    (area before/after, the rest's rates), the ratio of rate ratios with its 95 % interval,
    and the verdict (``kod`` and the Swedish ``slutsats``).

    Parameters
    ----------
    cfg : Config
        For the catalogue and the disclosure threshold.
    counts : dict
        Keyed counts per measure code (``views.source.all_counts``).
    population : DataFrame
        Population rows.
    actions : list of Action
        The actions to follow.
    latest : Timestamp or None
        The latest complete month of data; None when there are none.
    exact : bool
        Unprotected counts (``atgarder --exakt`` only, for those with direct store access).
    noise_var : float
        The known variance of one published monthly count's noise (0: exact counts).

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`; ``attrs["skyddad_troskel"]`` unless *exact*.
    """
    rows = []
    for action in actions:
        for ind in action.indikatorer:
            if ind.matt not in counts or latest is None:
                continue
            measure = cfg.catalogue.measure(ind.matt)
            w = effect.windows(action.start, latest, action.slut)
            shown = None
            if w is not None and action.postnummer and "postnummer" in \
                    measure.dimension_columns:
                cells = effect.cells(counts[ind.matt], population, measure, action.postnummer,
                                     w, filters_of(action, ind, measure))
                if exact:
                    shown = cells.assign(
                        per_1000=1000 * cells["antal"] / cells["befolkning"]).assign(
                        antal=cells["antal"].astype("Int64"))
                else:
                    shown = publish(cells, cfg.threshold)
            followed = follow(cfg, counts[ind.matt], population, measure, action, ind, latest,
                              noise_var, exact) if shown is not None else None
            rows.append(_row(action, ind, w, shown, exact, followed, noise_var))
    out = pd.DataFrame(rows, columns=COLUMNS)
    if not exact:
        out.attrs[disclosure.PROTECTED_ATTR] = cfg.threshold
    return out


def _number(value, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "–"
    return fmt.number(value, decimals)


NO_CELLS = {"ingen_kontroll", "ingen_postnummer"}


def _text(safe: pd.DataFrame, column: str) -> list[str]:
    if column not in safe:
        return ["–"] * len(safe)
    return [v if isinstance(v, str) and v else "–" for v in safe[column]]


def over_time(cfg: Config, counts: dict[str, pd.DataFrame], population: pd.DataFrame,
              action: Action, latest, noise_var: float = 0.0) -> list[tuple[str, Follow]]:
    """Each indicator of *action* followed per half-year since its start (published), for
    the small chart on the action page: (the indicator's label, its Follow)."""
    out = []
    for ind in action.indikatorer:
        if ind.matt not in counts or latest is None:
            continue
        measure = cfg.catalogue.measure(ind.matt)
        followed = follow(cfg, counts[ind.matt], population, measure, action, ind, latest,
                          noise_var)
        if followed is not None and len(followed.halfyears):
            urval = "; ".join(f"{d}={','.join(v)}" for d, v in ind.kategorier)
            out.append((measure.short + (f" ({urval})" if urval else ""), followed))
    return out


def has_cells(safe: pd.DataFrame) -> pd.Series:
    """Rows whose four cells were computed (a hidden count is "<5" there, not "–")."""
    return safe["fore"].notna() & ~safe["kod"].isin(NO_CELLS)


def compact(shown: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``display``'s table in three narrow ones that fit a projector's width: the verdict with
    the rates and the ratio; the course per half-year with the placebo and any warning; and
    the periods with the counts behind them."""
    main = pd.DataFrame({
        "Åtgärd": shown["Åtgärd"], "Område": shown["Område"], "Mått": shown["Mått"],
        "Slutsats": shown["Slutsats"],
        "Per 1 000 före → efter": shown["Per 1 000 före"] + " → " + shown["Per 1 000 efter"],
        "Övriga kommunen": shown["Övriga kommunen före"] + " → " +
                           shown["Övriga kommunen efter"],
        "Kvot (95 % KI)": [k if i == "–" else f"{k} ({i})"
                           for k, i in zip(shown["Kvot"], shown["95 % KI"])],
    })
    course = shown[["Åtgärd", "Per halvår sedan start", "Slumpen (placebo)", "Varning"]]
    counts = shown[["Åtgärd", "Före", "Efter", "Antal före", "Antal efter", "Befolkning"]]
    return main, course, counts


def display(safe: pd.DataFrame, cfg: Config, threshold: int) -> pd.DataFrame:
    """The effect table in Swedish for a page: hidden counts as "<5", decimal commas."""
    labels = {c: m.short for c, m in cfg.catalogue.measures.items()}

    def count(value):
        return f"<{threshold}" if pd.isna(value) else fmt.number(value)

    compared = has_cells(safe)
    return pd.DataFrame({
        "Åtgärd": safe["titel"], "Område": safe["omrade"],
        "Mått": [labels.get(m, m) + (f" ({u})" if u else "")
                 for m, u in zip(safe["matt"], safe["urval"].fillna(""))],
        # The verdict first: on a projector the right-hand columns may be out of sight.
        "Slutsats": safe["slutsats"],
        "Kvot": [_number(v, 2) for v in safe["kvot"]],
        "95 % KI": [f"{_number(lo, 2)} – {_number(hi, 2)}" if not pd.isna(lo) else "–"
                    for lo, hi in zip(safe["ki_lag"], safe["ki_hog"])],
        "Kvot per halvår": _text(safe, "forlopp_kort"),
        "Per halvår sedan start": _text(safe, "forlopp"),
        "Slumpen (placebo)": _text(safe, "placebo"),
        "Varning": _text(safe, "varning"),
        "Före": safe["fore"].fillna("–"), "Efter": safe["efter"].fillna("–"),
        "Antal före": [count(v) if c else "–" for v, c in zip(safe["antal_fore"], compared)],
        "Antal efter": [count(v) if c else "–" for v, c in zip(safe["antal_efter"], compared)],
        "Befolkning": [_number(v, 0) for v in safe["befolkning_efter"]],
        "Per 1 000 före": [_number(v) for v in safe["per_1000_fore"]],
        "Per 1 000 efter": [_number(v) for v in safe["per_1000_efter"]],
        "Övriga kommunen före": [_number(v) for v in safe["ovriga_per_1000_fore"]],
        "Övriga kommunen efter": [_number(v) for v in safe["ovriga_per_1000_efter"]],
    })


def markers(actions: list[Action], code: str, postnummer: tuple[str, ...] = ()
            ) -> pd.DataFrame:
    """Actions on a measure's timeline: month and text (``typ`` ``atgard``). With
    *postnummer* (an area profile), only actions there or for the whole municipality."""
    rows = []
    for a in actions:
        if code not in {i.matt for i in a.indikatorer}:
            continue
        if postnummer and a.postnummer and not set(a.postnummer) & set(postnummer):
            continue
        month = pd.Timestamp(a.start).to_period("M").to_timestamp()
        rows.append({col.MONTH: month, col.NOTE: f"Åtgärd: {a.titel} ({a.place})",
                     "typ": "atgard"})
    return pd.DataFrame(rows, columns=[col.MONTH, col.NOTE, "typ"])


def note_markers(notes: pd.DataFrame) -> pd.DataFrame:
    """Omvärld notes on a timeline (``typ`` ``omvarld``), by the month of their date."""
    months = pd.to_datetime(notes["datum"]).dt.to_period("M").dt.to_timestamp()
    return pd.DataFrame({col.MONTH: months, col.NOTE: "Omvärld: " + notes["rubrik"],
                         "typ": "omvarld"}, columns=[col.MONTH, col.NOTE, "typ"])
