"""The method note: one page in Swedish on what the written statements compare and how (issue
22). Om data shows it, every report links to it and the deck's last slide sums it up; a test
keeps the numbers in it equal to the constants the code uses."""

from __future__ import annotations

from lagesbild import fmt
from lagesbild.analysis import baseline, effect
from lagesbild.views import report

TITLE = "Metodnot: vad lägesbilden kallar en förändring"
ANCHOR = "metodnot"  # Om data's section, linked from every report


def _pct(value: float) -> str:
    return fmt.number(100 * value, 1 if (100 * value) % 1 else 0)


def sections() -> list[tuple[str, str]]:
    """The note as (heading, text) pairs."""
    low = _pct((1 - baseline.LEVEL) / 2)
    high = _pct(1 - (1 - baseline.LEVEL) / 2)
    return [
        ("Vad jämförs med vad",
         "Varje mått jämförs på två sätt: perioden (månaden eller kvartalet) mot sitt "
         "**förväntade intervall**, och de senaste 12 månaderna mot de 12 månaderna före. "
         "Områden (postnummer) jämförs med kommunens nivå per 1 000 i målgruppen de senaste "
         "12 månaderna. Allt räknas på de publicerade talen; en månad som saknas är okänd, "
         "aldrig noll."),
        ("Förväntat intervall",
         "Som smittskyddets övervakning (Farrington flexible / Noufaily 2013, R-paketet "
         f"*surveillance*): en regression (quasi-Poisson) på upp till {baseline.YEARS} års "
         "tidigare månader med säsong (varje kalendermånad) och trend (bara om den är "
         f"tydlig och minst {baseline.TREND_YEARS} år finns), utan de senaste "
         f"{baseline.RECENT} månaderna. Tidigare ovanliga månader väger mindre. Intervallet "
         f"är {low}–{high} % av en fördelning som tar med att antal varierar mer än ren "
         "slump (överspridning) och osäkerheten i skattningen. Med färre än "
         f"{baseline.MIN_YEARS} års jämförbara månader finns inget intervall, och det sägs."),
        ("Många jämförelser på en gång",
         "Alla test i en rapport (mått × jämförelser × områden) korrigeras tillsammans med "
         f"**Holms metod** (viktad: måtten och områdena delar lika), så att risken för "
         f"ett enda falskt larm i en rapport är högst {_pct(report.ALPHA)} %. Bara det som "
         "klarar korrektionen kallas en förändring; är det inget står det ”Inget utöver det "
         "väntade denna månad”. p-värden står i rapportens CSV, inte i texten."),
        ("Bestånd",
         "Belagda nätter, pågående ärenden och andra bestånd (markerade i katalogen) är "
         "inte oberoende händelser: samma gäst räknas varje natt. De jämförs bara med sitt "
         "eget förväntade intervall, som bygger på deras egen historiks spridning, och "
         "testas inte som 12 månader mot 12."),
        ("Serieavbrott",
         "Ett deklarerat serieavbrott (ny rutin, nytt system) stoppar jämförelser: inget "
         "förväntat intervall, ingen jämförelse, inget rekord och ingen trend går över "
         "brottet. Texten säger ”serien bröts <månad>”."),
        ("Åtgärders effekt",
         "Åtgärdsområdets förändring före–efter delas med resten av kommunens (kvot av "
         "kvoter; 1 = ingen skillnad). Intervallet (95 %) vidgas med överspridningen i "
         f"områdets andel månad för månad de {effect.PRE_MONTHS} månaderna före start. "
         "Effekten följs **per halvår** sedan start, varje halvår mot samma kalendermånader "
         "året före start, så att en återgång syns. **Placebo**: samma skattning i områden "
         "utan åtgärd och med påhittade tidigare starter; rapporten säger ”så ofta ger "
         "slumpen en lika stor skillnad”. Startade åtgärden direkt efter en topp varnar "
         "texten för regression mot medelvärdet."),
        ("Gränser",
         "Ett förväntat intervall säger vad som är ovanligt, inte varför. En skillnad mot "
         "resten av kommunen kan ha andra orsaker än åtgärden. Små områden och små mått "
         "ger breda intervall. Skyddet av publicerade tal (röjandekontroll) lägger till "
         "lite brus, som räknas in där dess storlek är känd."),
    ]


def markdown() -> str:
    """The note as Markdown (Om data, the method file)."""
    parts = [f"### {TITLE}"]
    for heading, text in sections():
        parts += [f"**{heading}.** {text}"]
    return "\n\n".join(parts)


def points() -> tuple[str, ...]:
    """The note as short points for a report's last page."""
    return tuple(f"{heading}: {text.replace('**', '')}" for heading, text in sections())


LINK = report.METHOD_LINK
