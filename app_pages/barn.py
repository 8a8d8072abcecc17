"""Barn och unga: orosanmalningar."""

from webapp import measure

measure.render(
    ["orosanmalningar"],
    "Barn och unga",
    "Orosanmälningar och aktualiseringar: hur många, vart det går, vilka barn det "
    "gäller och vem som anmäler. Antalet anmälningar är inte antalet barn: samma barn "
    "kan anmälas flera gånger.",
)
