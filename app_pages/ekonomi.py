"""Ekonomi och boende: vrakningar, skuldradgivning, akutboende."""

import measure_page

measure_page.render(
    ["vrakningar", "skuldradgivning", "akutboende"],
    "Ekonomi och boende",
    "Vräkningar och avhysningar (med berörda barn), budget- och skuldrådgivning och "
    "akutboendet med aktuellt läge.",
)
