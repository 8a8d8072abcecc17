"""The written summary of a month or quarter: what is notable per verksamhetsområde, from the
published numbers only, and nothing that is not.

For every measure the period's count is compared with its **expected range**
(``analysis.baseline``: season, trend and the series' own overdispersion, fitted on the
published monthly series, never across a declared series break), and the rolling 12 months
with the 12 before them (``analysis.notable.compare_dispersed``, widened by the same
dispersion; stocks such as occupied nights are not tested as events). Areas are compared
with the municipality's level (``area_tests``, overdispersed). All the report's tests are
then corrected together (``decide``: weighted Holm), and only what survives is written as a
change (``write``); a period with none says "Inget utöver det väntade". p-values go to
``Report.tests`` (the CSV and the method note), never into the text. Records are stated only
as context of a change and only since the last break; actions come from ``views.effect``
(with their course per half-year, the placebo check and the peak warning). The Rapporter
page, ``python -m lagesbild rapport`` and every report file call :func:`build`.

Long because the report's statements are one chain — tests, one correction over all of
them, then the words — and splitting it would hide which numbers a sentence rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd

from lagesbild import fmt
from lagesbild.analysis import aggregate, baseline, notable
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
MIN_EXPECTED = 3  # fewer events expected in the period: too few to call anything unusual
MIN_AREA_EXPECTED = 5  # fewer expected in an area over 12 months: the area is not tested


@dataclass(frozen=True)
class Finding:
    """One notable thing, as one Swedish sentence (or two)."""

    matt: str | None
    tier: int
    strength: float
    text: str


@dataclass(frozen=True)
class Section:
    """One measure's published figures, tests and findings."""

    measure: Measure
    cells: pd.DataFrame  # published: index period, period_fg, rullande, rullande_fg
    known: dict[str, bool]  # whether each window has data ("inga uppgifter" when not)
    change: notable.Change  # the period against its expected range (before = expected)
    change12: notable.Change  # the rolling 12 months against the 12 before
    flagged: pd.DataFrame  # protected area rows flagged "över" or "under": kod, namn, per_1000…
    kommun_rate: float | None
    findings: list[Finding]
    line: str = ""  # one short line for the summary
    expect: baseline.Expectation | None = None  # the period's expected range
    series_break: pd.Timestamp | None = None  # a declared break that stops a comparison
    stock: bool = False  # the headline is a stock: not tested as events
    areas: pd.DataFrame = field(default_factory=pd.DataFrame)  # every tested area, with p
    record: notable.Extreme | None = None

    def shown(self, window: str, threshold: int) -> str:
        """A window's published count as the reader sees it: "1 234", "<5" or "inga uppgifter"."""
        if not self.known[window]:
            return overview.NO_DATA
        value = self.cells.loc[window, "antal"]
        return fmt.count(value, bool(self.cells.loc[window, "skyddad"]), threshold)

    def expected_range(self) -> str:
        """"1 150–1 420", or "" when there is no expected range."""
        if self.expect is None or not self.expect.ok:
            return ""
        low, high = self.expect.range()
        return f"{fmt.number(low)}–{fmt.number(high)}"


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
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)  # every test, p and verdict
    release: str = ""  # the publication it reads: "oktober 2026, version 1 (2026-11-05)"

    @property
    def changes(self) -> list[Finding]:
        """The statements of change: what the report says is beyond the expected."""
        return [f for f in self.findings if f.tier in (TIER_CHANGE, TIER_AREAS)
                or (f.tier == TIER_ACTION and f.strength >= 2.0)]

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
    """"p = 0,0497": enough digits that a value under 0,05 never reads as 0,050. For the
    method note and the CSV only: the summary's text carries no p-values."""
    if p < 0.001:
        return "p < 0,001"
    return f"p = {fmt.number(p, max(3, 2 - math.floor(math.log10(p))))}"


def change_words(c: notable.Change) -> str:
    """The verdict on a change in plain Swedish (no p-value: those are in the CSV)."""
    if c.verdict == "okar":
        return "en ökning utöver det väntade"
    if c.verdict == "minskar":
        return "en minskning utöver det väntade"
    if c.verdict == "slump":
        return "inom det väntade"
    if c.verdict == "fa":
        return "för få fall för att säga något om förändringen"
    if c.verdict == "bestand":
        return "ett bestånd, testas inte som enskilda händelser"
    if c.verdict == "avbrott":
        return "jämförs inte över serieavbrottet"
    return "går inte att jämföra"


def _pct(now: float, before: float) -> str:
    return fmt.percent(100 * (now - before) / before) if before else "–"


def _break_between(measure: Measure, a: aggregate.Period, b: aggregate.Period
                   ) -> pd.Timestamp | None:
    """The month of a declared series break between two compared windows."""
    for brk in measure.breaks:
        if a.start < brk.month <= b.end:
            return brk.month
    return None


def broke(month: pd.Timestamp) -> str:
    return f"serien bröts {fmt.month(month)}"


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
    Översikt map), every area with a count, and the municipality's rate."""
    filters = aggregate.Filters(categories=measure.headline_filter)
    table, _ = area_views.exact_table(frame, population, measure, "rullande",
                                      f"{period_end:%Y-%m}", "postnummer", filters, grouping)
    safe = area_views.protect(table, threshold)
    names = area_views.names(safe, "postnummer", postorter or {}, None)
    safe = safe.assign(namn=names)
    return safe, safe.attrs.get("kommun_per_1000")


def area_tests(safe: pd.DataFrame, rate: float | None, noise_var: float = 0.0,
               months: int = 12) -> pd.DataFrame:
    """Each area's published count against the municipal rate for its population: the
    two-sided p-value under a Poisson widened by the areas' own overdispersion (Spiegelhalter
    2005: the mean squared z-score, winsorised at 10 % / 90 %, at least 1) and the noise of
    the published count. Adds ``forvantat``, ``p`` and ``riktning``."""
    if rate is None or pd.isna(rate) or safe.empty:
        return safe.assign(forvantat=math.nan, p=math.nan, riktning=None)
    count = pd.to_numeric(safe["antal"], errors="coerce").astype(float)
    pop = pd.to_numeric(safe["befolkning"], errors="coerce").astype(float)
    mu = rate * pop / 1000
    # Where fewer events are expected than this, one family more or less is the whole
    # difference: too few to judge, so no test (and no statement).
    ok = count.notna() & (mu >= MIN_AREA_EXPECTED)
    z = ((count - mu) / mu.pow(0.5))[ok]
    phi = 1.0
    if len(z) >= 10:
        lo, hi = z.quantile(0.1), z.quantile(0.9)
        phi = max(1.0, float((z.clip(lo, hi) ** 2).mean()))
    p = baseline.predictive_ps(count.where(ok), mu.where(ok), phi * mu + months * noise_var)
    return safe.assign(forvantat=mu, p=p, riktning=["över" if c > m else "under"
                                                   for c, m in zip(count, mu)],
                       spridning=phi)


def section(frame: pd.DataFrame, population: pd.DataFrame, measure: Measure, cfg: Config,
            period: aggregate.Period, label: str, postorter: dict | None = None,
            noise_var: float = 0.0) -> Section:
    """One measure's published windows and its tests (p-values, provisional verdicts).

    The verdicts become final in :func:`decide`, where all tests of a report are corrected
    together; the findings and the line are written by :func:`write`.
    """
    t = cfg.threshold
    rows, _ = aggregate.apply_filters(frame, measure, aggregate.Filters(
        categories=measure.headline_filter))
    since = overview.first_month(frame)
    chosen = notable.windows(period)
    cells = notable.window_cells(rows, measure, chosen, since)
    known = {k: not pd.isna(v) for k, v in cells["antal"].items()}
    safe = disclosure.protect(cells, t, rate_cols=())
    stock = measure.is_stock()
    breaks = [b.month for b in measure.breaks]
    # The published monthly series the expected range is fitted on (NaN: unknown).
    start = period.start - pd.DateOffset(months=12 * baseline.YEARS + 12)
    series = bd.published_series(rows, frame, measure, start, period.end, None, t)
    months = pd.date_range(period.start, period.end, freq="MS")
    mean_variable = measure.primary.aggregation == "medel"
    expect = None
    if mean_variable:  # a level averaged over months: no count to test
        change = notable.Change(None, None, None, "bestand")
    else:
        expect = baseline.expected_sum(series, months, breaks=breaks, noise_var=noise_var,
                                       stock=stock)
        now = safe.loc["period", "antal"] if known["period"] else None
        if now is None or pd.isna(now):
            change = notable.Change(None, None, None, "okant")
        elif not expect.ok:
            change = notable.Change(float(now), None, None,
                                    "avbrott" if "bröts" in expect.reason else "kort")
        elif expect.mean < MIN_EXPECTED:
            change = notable.Change(float(now), expect.mean, None, "fa")
        else:
            p = expect.p_value(float(now))
            change = notable.Change(float(now), expect.mean, p,
                                    "okar" if float(now) > expect.mean else "minskar")
    brk12 = _break_between(measure, chosen["rullande_fg"], chosen["rullande"])
    if stock:
        change12 = notable.Change(None, None, None, "bestand")
    elif brk12 is not None:
        change12 = notable.Change(None, None, None, "avbrott")
    else:
        ratio = _population_ratio(population, measure, chosen["rullande"],
                                  chosen["rullande_fg"])
        phi = expect.phi if expect is not None and expect.ok else \
            baseline.dispersion(series, period.end, breaks=breaks)
        now = safe.loc["rullande", "antal"] if known["rullande"] else None
        before = safe.loc["rullande_fg", "antal"] if known["rullande_fg"] else None
        change12 = notable.compare_dispersed(now, before, ratio, phi, noise_var)
    series_break = brk12 or (baseline.last_break(breaks, period.end)
                             if change.verdict == "avbrott" else None)
    areas, rate = pd.DataFrame(), None
    # Areas over a rolling window that reaches before the data start would be judged on
    # fewer months than the words say: no tests then.
    if measure.has_postnummer and measure.target is not None and not population.empty \
            and known["rullande"] and brk12 is None:
        shown, rate = _flagged(frame, population, measure, period.end, t, postorter)
        areas = area_tests(shown, rate, noise_var)
    return Section(measure, safe, known, change, change12, areas.iloc[0:0], rate, [],
                   "", expect, series_break, stock, areas)


AREA_SHARE = 0.5  # of the report's error rate, the share spent on areas (the rest: measures)
# The familywise error rate of one report. The aim is at most one false statement in 20
# reports; a chance outlier is repeated by the month's, the quarter's and the 12-month
# windows' reports, and the single tests are a little liberal on overdispersed data, so the
# design rate sits at half of that.
ALPHA = 0.025


def decide(sections: list[Section], alpha: float = ALPHA) -> list[Section]:
    """Holm's correction over every test of the report (each measure's period against its
    expected range, its 12 months against the 12 before, and every area): a change or an
    area is stated only if it survives with the familywise error rate at *alpha*. The
    correction is weighted: the measures' dozen tests share half the weight and the areas'
    hundreds the other half, so a hundred areas do not drown the measures."""
    tests = []
    for i, s in enumerate(sections):
        tests.append((i, "period", s.change.p))
        tests.append((i, "rullande", s.change12.p))
        if len(s.areas) and "p" in s.areas:
            tests += [(i, ("omrade", j), p) for j, p in enumerate(s.areas["p"])]
    is_area = [isinstance(what, tuple) for _, what, p in tests]
    known = [p is not None and not pd.isna(p) for *_, p in tests]
    n_area = sum(a and k for a, k in zip(is_area, known))
    n_measure = sum((not a) and k for a, k in zip(is_area, known))
    share = AREA_SHARE if n_area and n_measure else (1.0 if n_area else 0.0)
    weights = [share / n_area if a else (1 - share) / max(n_measure, 1) for a in is_area]
    keep = notable.holm([p for *_, p in tests], alpha, weights)
    kept = {(i, what) for (i, what, _), k in zip(tests, keep) if k}
    out = []
    for i, s in enumerate(sections):
        def final(c: notable.Change, what: str) -> notable.Change:
            if c.verdict in ("okar", "minskar") and (i, what) not in kept:
                return notable.Change(c.now, c.before, c.p, "slump")
            return c
        flagged = s.areas.iloc[0:0]
        if len(s.areas) and "p" in s.areas:
            mask = [(i, ("omrade", j)) in kept for j in range(len(s.areas))]
            flagged = s.areas[mask].assign(flagga=s.areas["riktning"][mask])
            flagged = flagged.sort_values("per_1000", ascending=False)
        out.append(replace(s, change=final(s.change, "period"),
                           change12=final(s.change12, "rullande"), flagged=flagged))
    return out


def write(s: Section, label: str, period: aggregate.Period, frame: pd.DataFrame,
          threshold: int) -> Section:
    """The section's findings and line, from its final verdicts. No p-values in the text."""
    measure, t = s.measure, threshold
    name = measure.short
    counted = measure.headline_label.lower() if measure.headline_label else measure.counted
    since = overview.first_month(frame)
    now_text, before_text = s.shown("period", t), s.shown("period_fg", t)
    r12_text, r12b_text = s.shown("rullande", t), s.shown("rullande_fg", t)
    rng = s.expected_range()
    findings = []
    c = s.change
    if c.significant:
        strength = -math.log10(max(c.p, 1e-300))
        text = (f"{name}: {now_text} {counted} i {label}, "
                f"{'över' if c.verdict == 'okar' else 'under'} det förväntade intervallet "
                f"({rng}), {change_words(c)}.")
        # A record only since the last break, and only as context of a change.
        brk = baseline.last_break([b.month for b in measure.breaks], period.start)
        rows, _ = aggregate.apply_filters(frame, measure, aggregate.Filters(
            categories=measure.headline_filter))
        rec = _record(rows, measure, period, max(since, brk) if brk is not None else since, t)
        s = replace(s, record=rec)
        if rec is not None and (rec.kind == "hogst") == (c.verdict == "okar"):
            text += (f" Det är det {'högsta' if rec.kind == 'hogst' else 'lägsta'} för en "
                     f"{'månad' if period.months == 1 else 'period av samma längd'} sedan "
                     f"{fmt.month(rec.since)}.")
        findings.append(Finding(measure.code, TIER_CHANGE, strength, text))
    c12 = s.change12
    if c12.significant:
        strength = -math.log10(max(c12.p, 1e-300))
        findings.append(Finding(
            measure.code, TIER_CHANGE, strength,
            f"{name}: {r12_text} {counted} de 12 månaderna till {fmt.month_short(period.end)} "
            f"mot {r12b_text} de 12 månaderna före ({_pct(c12.now, c12.before)}), "
            f"{change_words(c12)}."))
    if s.series_break is not None:
        text = next((b.text for b in measure.breaks if b.month == s.series_break), "")
        findings.append(Finding(measure.code, TIER_QUALITY, 1.0,
                                f"{name}: {broke(s.series_break)} ({text}); inget förväntat "
                                "intervall, ingen jämförelse och inget rekord över brottet."))
    over = s.flagged[s.flagged["flagga"] == "över"] if len(s.flagged) else s.flagged
    if len(over):
        places = ", ".join(f"{n} ({fmt.number(r, 1)})" for n, r in
                           zip(over["namn"], over["per_1000"]))
        findings.append(Finding(measure.code, TIER_AREAS, float(len(over)),
                                f"{name}: {len(over)} område{'n' if len(over) > 1 else ''} "
                                f"över kommunens nivå ({fmt.number(s.kommun_rate, 1)} per "
                                f"1 000) de 12 månaderna till {fmt.month_short(period.end)}, "
                                f"utöver vad slumpen ger: {places}."))
    for note in bd.quality_notes(frame, measure, max(period.start, since),
                                 period.end).itertuples():
        if note[3] == "serieavbrott" and s.series_break is not None:
            continue  # said above
        findings.append(Finding(measure.code, TIER_QUALITY, 0.5,
                                f"{name}, {fmt.month(note[1])}: {note[2]}."))
    chosen = notable.windows(period)
    # Months before the series starts are "inga data", not missing from the files.
    missing_before = bd.quality_notes(frame, measure, max(chosen["rullande_fg"].start, since),
                                      period.start - pd.DateOffset(months=1))
    missing_before = missing_before[missing_before["typ"] == "saknas"]
    if len(missing_before):
        findings.append(Finding(measure.code, TIER_QUALITY, 0.4,
                                f"{name}: {len(missing_before)} månad"
                                f"{'er' if len(missing_before) > 1 else ''} saknas i "
                                "jämförelseperioderna; de räknas som okända, inte som noll."))
    if s.stock:
        verdict = ("ett bestånd (samma person räknas varje natt eller månad): jämförs med "
                   "sitt eget förväntade intervall, testas inte som enskilda händelser")
        verdict = f"{verdict}; {change_words(c)}" if c.p is not None else verdict
    elif c.verdict == "avbrott" or (s.series_break is not None and c.p is None):
        verdict = f"{broke(s.series_break or baseline.last_break([b.month for b in measure.breaks], period.end))}, jämför inte över brottet"
    elif c.verdict == "kort":
        verdict = "för kort serie för ett förväntat intervall"
    elif c.verdict == "slump" and s.expect is not None and s.expect.ok and c.now is not None \
            and not s.expect.range()[0] <= c.now <= s.expect.range()[1]:
        # Outside this measure's range, but not once all the report's tests are weighed.
        verdict = (f"{'över' if c.now > s.expect.mean else 'under'} det förväntade "
                   "intervallet, men inte tydligt när alla rapportens jämförelser vägs samman")
    else:
        verdict = change_words(c)
    expected = f"förväntat {rng}; " if rng else ""
    line = (f"{name}: {now_text} {counted} i {label} ({expected}{before_text} ett år "
            f"tidigare), {verdict}.")
    return replace(s, findings=sorted(findings, key=lambda f: (f.tier, -f.strength)),
                   line=line)


def _record(rows, measure, period, since, threshold) -> notable.Extreme | None:
    """A new high or low over the published series of periods of the same length since
    *since* (the data start or the last series break, whichever is later)."""
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
        extra = ""
        over_time = getattr(row, "forlopp", None)
        if isinstance(over_time, str) and over_time:
            extra += f" Per halvår sedan start: {over_time}."
        placebo = getattr(row, "placebo", None)
        if isinstance(placebo, str) and placebo:
            extra += f" {placebo}"
        warning = getattr(row, "varning", None)
        if isinstance(warning, str) and warning:
            extra += f" {warning}"
        out.append(Finding(row.matt, tier, strength,
                           f"Åtgärden ”{fmt.clean(row.titel, newlines=False)}” i "
                           f"{fmt.clean(row.omrade, newlines=False)}:{numbers} "
                           f"{row.slutsats}{extra}"))
    return out


def nothing_beyond(kind: str) -> str:
    return f"Inget utöver det väntade {'denna månad' if kind == 'manad' else 'detta kvartal'}."


METHOD_LINK = ("Metod: varje månad jämförs med sitt förväntade intervall och alla test i "
               "rapporten korrigeras tillsammans (Holm); se metodnoten under Om data.")


def summary_text(report_label: str, findings: list[Finding], sections: list[Section],
                 kind: str = "manad") -> str:
    """The summary as short plain text: "## " headings and "- " points, most important first.
    A period with nothing beyond the expected says so in one line."""
    lines = [f"## Det viktigaste, {report_label}"]
    changes = [f for f in findings if f.tier in (TIER_CHANGE, TIER_AREAS)
               or (f.tier == TIER_ACTION and f.strength >= 2.0)]
    top = [f for f in findings if f.tier <= TIER_QUALITY][:TOP]
    if not changes:
        lines.append(f"- {nothing_beyond(kind)}")
    lines += [f"- {f.text}" for f in top]
    lines += ["", "## Per verksamhetsområde"]
    for s in sections:
        lines.append(f"- {s.line}")
        lines += [f"- {f.text}" for f in s.findings
                  if f not in top and TIER_RECORD <= f.tier <= TIER_QUALITY]
    lines += ["", f"- {METHOD_LINK}"]
    return "\n".join(lines)


def tests_table(sections: list[Section]) -> pd.DataFrame:
    """Every test of the report with its p-value and final verdict (for the CSV and the
    method note; the text carries none)."""
    rows = []
    for s in sections:
        e = s.expect
        low, high = e.range() if e is not None and e.ok else (math.nan, math.nan)
        rows.append({"matt": s.measure.code, "test": "period_mot_forvantat", "omrade": "",
                     "observerat": s.change.now, "forvantat": s.change.before,
                     "undre": low, "ovre": high, "p": s.change.p,
                     "slutsats": s.change.verdict})
        rows.append({"matt": s.measure.code, "test": "rullande_12_mot_12_fore", "omrade": "",
                     "observerat": s.change12.now, "forvantat": s.change12.before,
                     "undre": math.nan, "ovre": math.nan, "p": s.change12.p,
                     "slutsats": s.change12.verdict})
        if len(s.areas) and "p" in s.areas:
            flagged = set(s.flagged["kod"]) if len(s.flagged) else set()
            for r in s.areas.itertuples():
                if pd.isna(r.p):
                    continue
                rows.append({"matt": s.measure.code, "test": "omrade_mot_kommunen",
                             "omrade": r.kod, "observerat": r.antal, "forvantat": r.forvantat,
                             "undre": math.nan, "ovre": math.nan, "p": r.p,
                             "slutsats": r.riktning if r.kod in flagged else "slump"})
    return pd.DataFrame(rows, columns=["matt", "test", "omrade", "observerat", "forvantat",
                                       "undre", "ovre", "p", "slutsats"])


def build(cfg: Config, counts: dict[str, pd.DataFrame], population: pd.DataFrame,
          actions: list[Action], typ: str, kind: str, code: str, *, demo: bool = False,
          postorter: dict[str, str] | None = None, text: str | None = None,
          noise_var: float = 0.0, release: str = "") -> Report:
    """The report's numbers, findings and generated summary.

    Parameters
    ----------
    cfg : Config
        Catalogue and disclosure threshold.
    counts : dict
        Counts per measure (``views.source.all_counts``).
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
    noise_var : float
        The known variance of one published monthly count's noise (0: exact counts).
    release : str
        The publication the counts come from, as the files name it.

    Returns
    -------
    Report
    """
    if typ not in TYPES:
        raise UnknownError(f"Okänd rapporttyp ”{typ}”. Möjliga: {', '.join(TYPES)}.")
    period, label = period_of(kind, code)
    sections, frames = [], []
    for measure_code, measure in cfg.catalogue.measures.items():
        frame = counts.get(measure_code)
        if frame is None or frame.empty or pd.Timestamp(frame["month"].min()) > period.end:
            continue
        own, own_label = period, label
        latest = aggregate.latest_complete_month(frame)
        if kind == "manad" and latest is not None and latest < period.end:
            # Not delivered for the report's month: its latest published month, named.
            own = aggregate.Period.month(latest)
            own_label = f"{fmt.month(latest)} (senast publicerad)"
        sections.append(section(frame, population, measure, cfg, own, own_label, postorter,
                                noise_var))
        frames.append((frame, own, own_label))
    sections = [write(s, lab, per, f, cfg.threshold)
                for s, (f, per, lab) in zip(decide(sections), frames)]
    effect = effect_views.table(cfg, counts, population, actions, period.end,
                                noise_var=noise_var)
    findings = [f for s in sections for f in s.findings] + _action_findings(effect, cfg)
    findings.sort(key=lambda f: (f.tier, -f.strength))
    generated = summary_text(label, findings, sections, kind)
    return Report(typ, kind, code, period, label, sections, findings, effect, cfg.threshold,
                  demo, generated, text if text and text.strip() else generated,
                  tests=tests_table(sections), release=release)
