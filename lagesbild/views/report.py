"""The written summary of a month or quarter: what is notable per verksamhetsområde, from the
published numbers only.

For every measure the period's count and the same period a year earlier, and the rolling 12
months and the 12 before them, are cells (``analysis.notable.window_cells``, the same sums
as ``aggregate.headline``) published through ``release.disclosure``; the exact test
(``analysis.notable.compare``) then runs on the published counts, so what the text calls
larger than chance is judged on numbers the reader sees. Flagged areas come from the map's
protected area table (``views.areas``), records from the published series, series breaks and
missing months from the catalogue and the data, actions from ``views.effect``. The Rapporter
page, ``python -m lagesbild rapport`` and every report file call :func:`build`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate, notable
from lagesbild.analysis.periods import parse_period
from lagesbild.config import Config, Measure
from lagesbild.errors import UnknownError
from lagesbild.release import disclosure
from lagesbild.store.process import Action
from lagesbild.views import areas as area_views
from lagesbild.views import breakdown as bd
from lagesbild.views import effect as effect_views
from lagesbild.views import overview

TYPES = {"ledningsgrupp": "Lägesbild för ledningsgruppen",
         "namnd": "Lägesbild för socialnämnden",
         "nyhetsbrev": "Social lägesbild – nyhetsbrev",
         "est": "Social lägesbild – underlag till EST-lägesbilden"}
PERIOD_KINDS = {"manad": "månad", "kvartal": "kvartal"}
# Importance, most important first: the summary's order.
TIER_CHANGE, TIER_ACTION, TIER_AREAS, TIER_RECORD, TIER_QUALITY, TIER_CHANCE, TIER_FEW = range(7)
TOP = 6  # findings under "Det viktigaste"


@dataclass(frozen=True)
class Finding:
    """One notable thing, as one Swedish sentence (or two)."""

    matt: str | None
    tier: int
    strength: float
    text: str


@dataclass(frozen=True)
class Section:
    """One measure's published figures and findings."""

    measure: Measure
    cells: pd.DataFrame  # published: index period, period_fg, rullande, rullande_fg
    known: dict[str, bool]  # whether each window has data ("inga uppgifter" when not)
    change: notable.Change
    change12: notable.Change
    flagged: pd.DataFrame  # protected area rows flagged "över" or "under": kod, namn, per_1000…
    kommun_rate: float | None
    findings: list[Finding]
    line: str = ""  # one short line for the summary

    def shown(self, window: str, threshold: int) -> str:
        """A window's published count as the reader sees it: "1 234", "<5" or "inga uppgifter"."""
        if not self.known[window]:
            return overview.NO_DATA
        value = self.cells.loc[window, "antal"]
        return fmt.count(value, bool(self.cells.loc[window, "skyddad"]), threshold)


@dataclass(frozen=True)
class Report:
    typ: str
    kind: str  # "manad" or "kvartal"
    code: str  # "2026-10" or "2026-Q3"
    period: aggregate.Period
    label: str  # "oktober 2026", "kvartal 3 2026"
    sections: list[Section]
    findings: list[Finding]  # every finding, most important first
    effect: pd.DataFrame  # the published effect table of the open actions
    threshold: int
    demo: bool
    summary: str  # the generated text
    text: str = ""  # the text to use: the strategist's edit, else the summary
    extra: dict = field(default_factory=dict)
    release: str = ""  # the publication it reads: "oktober 2026, version 1 (2026-11-05)"

    @property
    def title(self) -> str:
        return f"{TYPES[self.typ]}, {self.label}"


def period_of(kind: str, code: str) -> tuple[aggregate.Period, str]:
    """``manad 2026-10`` / ``kvartal 2026-Q3`` → the period and its Swedish name."""
    if kind not in PERIOD_KINDS:
        raise UnknownError(f"Okänd periodtyp ”{kind}”. Möjliga: {', '.join(PERIOD_KINDS)}.")
    period = parse_period(kind, code)
    if kind == "kvartal":
        return period, f"kvartal {(period.start.month + 2) // 3} {period.start.year}"
    return period, fmt.month(period.start)


def number_p(p: float) -> str:
    """"p = 0,0497": enough digits that a value under 0,05 never reads as 0,050."""
    if p < 0.001:
        return "p < 0,001"
    return f"p = {fmt.number(p, max(3, 2 - math.floor(math.log10(p))))}"


def change_words(c: notable.Change) -> str:
    """The verdict on a change in plain Swedish, with its p-value."""
    if c.verdict == "okar":
        return f"en ökning större än slumpen brukar ge ({number_p(c.p)})"
    if c.verdict == "minskar":
        return f"en minskning större än slumpen brukar ge ({number_p(c.p)})"
    if c.verdict == "slump":
        return f"inom vad slumpen kan ge ({number_p(c.p)})"
    if c.verdict == "fa":
        return "för få fall för att säga något om förändringen"
    return "går inte att jämföra"


def _pct(now: float, before: float) -> str:
    return fmt.percent(100 * (now - before) / before) if before else "–"


def _break_between(measure: Measure, a: aggregate.Period, b: aggregate.Period) -> str | None:
    """A declared series break between two compared windows: the text of the break."""
    for brk in measure.breaks:
        if a.start < brk.month <= b.end:
            return brk.text
    return None


def _population_ratio(population: pd.DataFrame, measure: Measure, now: aggregate.Period,
                      before: aggregate.Period) -> float:
    """Target population of the newer window over the older one's (1 without a target)."""
    sizes = []
    for p in (now, before):
        pop = aggregate.target_population(population, measure, p.end.year, [])
        sizes.append(None if pop is None else float(pop["befolkning"].iloc[0]))
    if None in sizes or not sizes[1]:
        return 1.0
    return sizes[0] / sizes[1]


def _flagged(frame, population, measure, period_end, threshold, postorter, grouping=None):
    """The protected area table over the rolling 12 months to *period_end* (as on the
    Översikt map), and its flagged rows."""
    filters = aggregate.Filters(categories=measure.headline_filter)
    table, _ = area_views.exact_table(frame, population, measure, "rullande",
                                      f"{period_end:%Y-%m}", "postnummer", filters, grouping)
    safe = area_views.protect(table, threshold)
    names = area_views.names(safe, "postnummer", postorter or {}, None)
    safe = safe.assign(namn=names)
    if "flagga" not in safe:
        return safe.iloc[0:0], None
    flagged = safe[safe["flagga"].isin(["över", "under"])]
    return flagged.sort_values("per_1000", ascending=False), safe.attrs.get("kommun_per_1000")


def section(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure, cfg: Config,
            period: aggregate.Period, label: str, postorter: dict | None = None) -> Section:
    """One measure's published windows, tests, flagged areas, records and quality notes."""
    t = cfg.threshold
    rows, _ = aggregate.apply_filters(frame, measure, aggregate.Filters(
        categories=measure.headline_filter))
    since = overview.first_month(frame)
    chosen = notable.windows(period)
    cells = notable.window_cells(rows, measure, chosen, since)
    known = {k: not pd.isna(v) for k, v in cells["antal"].items()}
    safe = disclosure.protect(cells, t, rate_cols=())
    counted = measure.headline_label.lower() if measure.headline_label else measure.counted
    name = measure.short
    findings = []

    def test(now_w, before_w):
        brk = _break_between(measure, chosen[before_w], chosen[now_w])
        if brk:
            return notable.Change(None, None, None, "avbrott"), brk
        ratio = _population_ratio(population, measure, chosen[now_w], chosen[before_w])
        now = safe.loc[now_w, "antal"] if known[now_w] else None
        before = safe.loc[before_w, "antal"] if known[before_w] else None
        return notable.compare(now, before, ratio), None

    change, brk = test("period", "period_fg")
    change12, brk12 = test("rullande", "rullande_fg")
    sec_shown = Section(measure, safe, known, change, change12, pd.DataFrame(), None, [])
    now_text = sec_shown.shown("period", t)
    before_text = sec_shown.shown("period_fg", t)
    r12_text, r12b_text = sec_shown.shown("rullande", t), sec_shown.shown("rullande_fg", t)
    for c, b, what, now_s, before_s in (
            (change, brk, f"i {label}", now_text, before_text),
            (change12, brk12, f"de 12 månaderna till {fmt.month_short(period.end)}", r12_text,
             r12b_text)):
        base = f"{name}: {now_s} {counted} {what} mot {before_s} ett år tidigare"
        if b:
            findings.append(Finding(measure.code, TIER_QUALITY, 1.0,
                                    f"{base}. Jämför inte rakt av: serieavbrott ({b})."))
        elif c.significant:
            strength = -math.log10(max(c.p, 1e-300))
            findings.append(Finding(measure.code, TIER_CHANGE, strength,
                                    f"{base} ({_pct(c.now, c.before)}), "
                                    f"{change_words(c)}."))
        elif c.verdict == "slump":
            findings.append(Finding(measure.code, TIER_CHANCE, 0.0,
                                    f"{base} ({_pct(c.now, c.before)}), {change_words(c)}."))
        elif c.verdict == "fa":
            findings.append(Finding(measure.code, TIER_FEW, 0.0,
                                    f"{base}: för få fall för att säga något."))
        else:
            findings.append(Finding(measure.code, TIER_FEW, 0.0,
                                    f"{base}: kan inte jämföras."))
    flagged, rate = pd.DataFrame(), None
    # Areas over a rolling window that reaches before the data start would be judged on
    # fewer months than the words say: no flags then.
    if measure.has_postnummer and measure.target is not None and not population.empty \
            and known["rullande"]:
        flagged, rate = _flagged(frame, population, measure, period.end, t, postorter)
        over = flagged[flagged["flagga"] == "över"]
        if len(over):
            places = ", ".join(f"{n} ({fmt.number(r, 1)})" for n, r in
                               zip(over["namn"], over["per_1000"]))
            findings.append(Finding(measure.code, TIER_AREAS, float(len(over)),
                                    f"{name}: {len(over)} område{'n' if len(over) > 1 else ''} "
                                    f"över kommunens nivå ({fmt.number(rate, 1)} per 1 000) "
                                    f"de 12 månaderna till {fmt.month_short(period.end)}, "
                                    f"utanför slumpens gränser "
                                    f"(99,8 %): {places}."))
    record = _record(rows, measure, period, since, t)
    if record is not None:
        findings.append(Finding(measure.code, TIER_RECORD, 1.0,
                                f"{name}: {now_text} {counted} i {label} är det "
                                f"{'högsta' if record.kind == 'hogst' else 'lägsta'} för en "
                                f"{'månad' if period.months == 1 else 'period av samma längd'} "
                                f"sedan {fmt.month(record.since)}."))
    for note in bd.quality_notes(frame, measure, max(period.start, since),
                                 period.end).itertuples():
        findings.append(Finding(measure.code, TIER_QUALITY, 0.5,
                                f"{name}, {fmt.month(note[1])}: {note[2]}."))
    # Months before the series starts are "inga data", not missing from the files.
    missing_before = bd.quality_notes(frame, measure, max(chosen["rullande_fg"].start, since),
                                      period.start - pd.DateOffset(months=1))
    missing_before = missing_before[missing_before["typ"] == "saknas"]
    if len(missing_before):
        findings.append(Finding(measure.code, TIER_QUALITY, 0.4,
                                f"{name}: {len(missing_before)} månad"
                                f"{'er' if len(missing_before) > 1 else ''} saknas i "
                                "jämförelseperioderna; jämförelsen kan bli för låg."))
    verdict = ("serieavbrott, jämför inte rakt av" if brk else change_words(change))
    line = f"{name}: {now_text} {counted} i {label} ({before_text} ett år tidigare), {verdict}."
    return Section(measure, safe, known, change, change12, flagged, rate,
                   sorted(findings, key=lambda f: (f.tier, -f.strength)), line)


def _record(rows, measure, period, since, threshold) -> notable.Extreme | None:
    """A new high or low over the whole published series of periods of the same length."""
    if since == pd.Timestamp.max:
        return None
    chosen = notable.aligned_windows(period, since)
    if not chosen:
        return None
    cells = notable.window_cells(rows, measure, chosen)
    safe = disclosure.protect(cells, threshold, rate_cols=())
    values = pd.Series(safe["antal"].astype("Float64").astype(float).to_numpy(),
                       index=[p.start for p in chosen.values()])
    return notable.extreme(values)


def _action_findings(effect: pd.DataFrame, cfg: Config) -> list[Finding]:
    out = []
    labels = {c: m.short for c, m in cfg.catalogue.measures.items()}
    for row in effect.itertuples():
        what = labels.get(row.matt, row.matt)
        if row.kod in ("minskning", "okning"):
            tier, strength = TIER_ACTION, 2.0
        elif row.kod == "oklart":
            tier, strength = TIER_ACTION, 0.5
        else:
            tier, strength = TIER_CHANCE, 0.0
        numbers = ""
        if not pd.isna(row.per_1000_fore) and not pd.isna(row.per_1000_efter):
            numbers = (f" {what} per 1 000: {fmt.number(row.per_1000_fore, 1)} före "
                       f"({row.fore}) och {fmt.number(row.per_1000_efter, 1)} efter "
                       f"({row.efter}); resten av kommunen "
                       f"{fmt.number(row.ovriga_per_1000_fore, 1)} och "
                       f"{fmt.number(row.ovriga_per_1000_efter, 1)}.")
        if not pd.isna(row.kvot):
            numbers += (f" Kvot {fmt.number(row.kvot, 2)} (95 % KI "
                        f"{fmt.number(row.ki_lag, 2)}–{fmt.number(row.ki_hog, 2)}).")
        out.append(Finding(row.matt, tier, strength,
                           f"Åtgärden ”{fmt.clean(row.titel, newlines=False)}” i "
                           f"{fmt.clean(row.omrade, newlines=False)}:{numbers} "
                           f"{row.slutsats}"))
    return out


def summary_text(report_label: str, findings: list[Finding], sections: list[Section]) -> str:
    """The summary as short plain text: "## " headings and "- " points, most important first."""
    lines = [f"## Det viktigaste, {report_label}"]
    top = [f for f in findings if f.tier <= TIER_QUALITY][:TOP]
    lines += [f"- {f.text}" for f in top] or [
        "- Inga förändringar större än slumpen och inga flaggade områden denna period."]
    lines += ["", "## Per verksamhetsområde"]
    for s in sections:
        lines.append(f"- {s.line}")
        lines += [f"- {f.text}" for f in s.findings
                  if f not in top and TIER_RECORD <= f.tier <= TIER_QUALITY]
    return "\n".join(lines)


def build(cfg: Config, counts: dict[str, pd.DataFrame], population: pd.DataFrame,
          actions: list[Action], typ: str, kind: str, code: str, *, demo: bool = False,
          postorter: dict[str, str] | None = None, text: str | None = None,
          release: str = "") -> Report:
    """The report's numbers, findings and generated summary.

    Parameters
    ----------
    cfg : Config
        Catalogue and disclosure threshold.
    counts : dict
        Keyed counts per measure (``views.source.all_counts``).
    population : DataFrame
        Population rows.
    actions : list of Action
        The open actions, followed up as of the period's end.
    typ : str
        One of :data:`TYPES`.
    kind, code : str
        ``manad`` and ``2026-10``, or ``kvartal`` and ``2026-Q3``.
    demo : bool
        Synthetic data: every file says "Demodata".
    postorter : dict, optional
        Postnummer to postort, for area names.
    text : str, optional
        The strategist's edited summary (saved with the meeting); the generated one otherwise.
    release : str
        The publication the counts come from, as the files name it.

    Returns
    -------
    Report
    """
    if typ not in TYPES:
        raise UnknownError(f"Okänd rapporttyp ”{typ}”. Möjliga: {', '.join(TYPES)}.")
    period, label = period_of(kind, code)
    sections = []
    for measure_code, measure in cfg.catalogue.measures.items():
        frame = counts.get(measure_code)
        if frame is None or frame.empty or pd.Timestamp(frame["month"].min()) > period.end:
            continue
        latest = aggregate.latest_complete_month(frame)
        if kind == "manad" and latest is not None and latest < period.end:
            # Not delivered for the report's month: its latest published month, named.
            own = aggregate.Period.month(latest)
            sections.append(section(frame, population, measure, cfg, own,
                                    f"{fmt.month(latest)} (senast publicerad)", postorter))
            continue
        sections.append(section(frame, population, measure, cfg, period, label, postorter))
    effect = effect_views.table(cfg, counts, population, actions, period.end)
    findings = [f for s in sections for f in s.findings] + _action_findings(effect, cfg)
    findings.sort(key=lambda f: (f.tier, -f.strength))
    generated = summary_text(label, findings, sections)
    return Report(typ, kind, code, period, label, sections, findings, effect, cfg.threshold,
                  demo, generated, text if text and text.strip() else generated,
                  release=release)
