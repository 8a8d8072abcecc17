"""Ekonomi och boende: vrakningar, skuldradgivning, akutboende."""

from webapp import measure

measure.render(
    ["vrakningar", "skuldradgivning", "akutboende"],
    "Ekonomi och boende",
    "Vräkningar och avhysningar (med berörda barn), budget- och skuldrådgivning och "
    "akutboendet med aktuellt läge.",
)
