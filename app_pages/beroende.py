"""Skadligt bruk och beroende: skadligt_bruk."""

from webapp import measure

measure.render(
    ["skadligt_bruk"],
    "Skadligt bruk och beroende",
    "Anmälningar om skadligt bruk och beroende bland vuxna: hur många, vart det går, "
    "vilka det gäller, vilken substans och vem som anmäler.",
)
