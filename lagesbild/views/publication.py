"""What Om data and the reports say about publishing: the method in plain Swedish, the noise
per level and the privacy loss it costs, and the published months with their versions."""

from __future__ import annotations

import pandas as pd

from lagesbild import fmt
from lagesbild.config import Catalogue
from lagesbild.release import topdown
from lagesbild.store.releases import Release


def method_text(threshold: int) -> str:
    """The protection explained for a reader who is not a statistician (Markdown)."""
    return (
        "Uppgifter om enskilda är sekretessbelagda (OSL 26 kap.). Därför **publiceras** varje "
        "månad en gång, när månadens filer är inlästa, och allt som visas eller laddas ned – "
        "sidor, kartor, tabeller, rapporter och kommandon – räknas fram ur den publiceringen, "
        "aldrig direkt ur de inlästa raderna.\n\n"
        "Vid publiceringen skyddas månaden **en gång för alla**, med samma metod som den "
        "amerikanska statistikmyndigheten använde för folkräkningen 2020 (TopDown): månadens "
        "antal mäts på flera nivåer – hela kommunen, större områden, postnummer, och efter "
        "kön, åldersgrupp och måttets kategorier – och varje mätning får ett slumpmässigt "
        "brus (diskret gaussiskt brus, dragit med biblioteket OpenDP). Mätningarna jämkas "
        "sedan ihop till **en** tabell med hela, icke-negativa tal. Bruset dras en gång och "
        "sparas; ingen sida kan be om nytt brus.\n\n"
        "Det betyder:\n"
        "- **Delarna summerar alltid till totalen**, i alla vyer: månader till kvartal och år, "
        "postnummer till områden och kommun, flickor och pojkar till alla, kategorier till "
        "totalen.\n"
        "- **Små tal är osäkra med några enheter.** Ett postnummer med 3 anmälningar en "
        "månad kan visas som 1 eller 5; en nolla kan vara en anmälan och tvärtom. "
        "Kommunens totaler per månad avviker sällan med mer än ett par enheter.\n"
        f"- Tal från 1 till {threshold - 1} visas som ”<{threshold}”, som i officiell "
        "statistik. Det är en visningsregel: skyddet är bruset, och det som döljs bakom "
        f"”<{threshold}” är det publicerade talet, inte det verkliga.\n"
        "- **Skyddet gäller en händelse** (en anmälan, ett ärende, en natt i akutboendet). "
        "Den som har flera händelser samma månad är mindre skyddad: integritetsförlusten "
        "växer med kvadraten på antalet. Integritetsförlusten mäts som ρ (zCDP); varje "
        "publicering sparar sin.\n"
        "- **En rättad leverans** för en publicerad månad syns först när månaden publiceras "
        "igen, som en ny version. Den äldre versionen finns kvar, och rapporter och "
        "protokoll anger vilken version de bygger på.\n"
        "- **Inga uppgifter** står där ett mått inte har levererat en månad – aldrig 0.\n\n"
        "Personnummer lagras aldrig.")


def noise_variance(found) -> float:
    """The variance of the noise on one published monthly count of one postnummer, in the
    newest release of *found* (0 without one): what tests and intervals add to their own."""
    newest = found[-1] if found else None
    scales = (newest.budget.get("skalor") if newest else None) or {}
    return float(scales.get("postnummer", 0.0)) ** 2


def levels_table(release: Release | None) -> pd.DataFrame:
    """The noise scale of each level and what one release cost per measure (zCDP ρ)."""
    scales = (release.budget.get("skalor") if release else None) or topdown.Budget().as_dict()
    rows = [{"Nivå": topdown.LEVEL_NAMES.get(level, level),
             "Brusets standardavvikelse": fmt.number(sigma, 2).rstrip("0").rstrip(","),
             "ρ per mätning": fmt.number(1 / (2 * sigma ** 2), 3)}
            for level, sigma in scales.items()]
    return pd.DataFrame(rows)


def spent_table(release: Release | None, cat: Catalogue) -> pd.DataFrame:
    """Per measure: the privacy loss ρ one month's publication cost (all levels measured)."""
    spent = (release.budget.get("rho") if release else None) or {}
    return pd.DataFrame([{"Mått": m.short, "ρ per månad": fmt.number(spent[code], 2)
                          if code in spent else "–"} for code, m in cat.measures.items()])


def releases_table(found: list[Release] | tuple[Release, ...], cat: Catalogue,
                   newest: int = 12) -> pd.DataFrame:
    """The newest published months: version, when, by whom, and what was not delivered."""
    rows = []
    for r in sorted(found, key=lambda r: r.month, reverse=True)[:newest]:
        missing = [m.short for code, m in cat.measures.items() if not r.delivered(code)]
        rows.append({"Månad": fmt.month(f"{r.month}-01"), "Version": r.version,
                     "Publicerad": pd.Timestamp(r.created_at).strftime("%Y-%m-%d"),
                     "Av": r.created_by,
                     "Inga uppgifter": ", ".join(missing) or "–"})
    return pd.DataFrame(rows, columns=["Månad", "Version", "Publicerad", "Av",
                                       "Inga uppgifter"])
