"""Våld i nära relation: vald_i_nara_relation."""

from webapp import measure

measure.render(
    ["vald_i_nara_relation"],
    "Våld i nära relation",
    "Nya ärenden om våld i nära relation: hur många, vart det går, vilka det gäller "
    "och vilken sorts våld.",
)
