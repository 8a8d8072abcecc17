"""What the page Om data shows besides the method note (``views.method``) and the releases
(``views.publication``): the measures, the files read, and why a file's rows and the stored
rows differ in number."""

from __future__ import annotations

import pandas as pd

from lagesbild.config import Catalogue
from lagesbild.present import tables

# Who imported when, and undoing, are the page Data's: here what and how many rows, narrow
# enough that nothing has to break on a 1366 px screen.
FILE_COLUMNS = ["Batch", "Mått", "Fil", "System", "Period", "Rader lästa", "Rader sparade"]


def measures(catalogue: Catalogue) -> pd.DataFrame:
    """One row per measure: name, what is counted, dimensions and target population."""
    return tables.measures(catalogue)


def files(batches: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """The files read, newest first: measure, file, system, period and rows read and kept."""
    return tables.batches(batches, catalogue)[FILE_COLUMNS]


def rows_note(catalogue: Catalogue) -> str:
    """Why "Rader sparade" can be larger (or smaller) than "Rader lästa"."""
    several = [f"{m.short.lower()} ({', '.join(v.label.lower() for v in m.variables.values())})"
               for m in catalogue.measures.values() if len(m.variables) > 1]
    text = ("**Rader lästa** är raderna i filen. **Rader sparade** är de räknade cellerna i "
            "databasen: ett antal per månad, postnummer, kön, åldersgrupp, kategori och "
            "storhet. Flera lästa rader för samma cell läggs ihop till en, och celler med 0 "
            "sparas inte; därför blir det oftast färre sparade rader.")
    if several:
        text += (" En läst rad kan också bli flera sparade: för mått med flera storheter "
                 "sparas varje storhet som en egen rad: " + "; ".join(several) + ". En läst "
                 "rad med ett ärende och berörda barn blir alltså två sparade rader, och då "
                 "kan det bli fler sparade rader än lästa.")
    return text
