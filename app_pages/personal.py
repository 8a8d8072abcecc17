"""Trygghet för personal: kia."""

from webapp import measure

measure.render(
    ["kia"],
    "Trygghet för personal",
    "Hot- och våldsincidenter mot personal rapporterade i KIA: hur många, vart det "
    "går, vilken enhet och hur allvarligt.",
)
