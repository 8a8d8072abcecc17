"""Rapporter: summary, slide deck, PDF, newsletter text and EST note for a month or quarter."""

from webapp import reports_page

reports_page.render()
