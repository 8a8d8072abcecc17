"""Översikt: every measure's latest month, last year and rolling 12 months, and a first map."""

from webapp import overview

overview.render()
