"""Swedish column headers of the published tables, shared by the views that build them and
the charts that draw them."""

MONTH = "Månad"
COUNT = "Antal"
ROLLING = "Rullande 12 mån, medel per månad"
NOTE = "Anmärkning"
SEX = "Kön"
POPULATION = "Befolkning"
RATE = "Per 1 000"
MEASURE = "Uppgift"
TOTAL = "Totalt"
