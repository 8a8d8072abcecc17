"""Trygghet för personal: kia."""

import measure_page

measure_page.render(
    ["kia"],
    "Trygghet för personal",
    "Hot- och våldsincidenter mot personal rapporterade i KIA: hur många, vart det "
    "går, vilken enhet och hur allvarligt.",
)
