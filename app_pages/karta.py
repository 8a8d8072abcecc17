"""Karta: where in the municipality, as counts, rates or change, and is it more than chance."""

from webapp import karta

karta.render()
