"""Analys- och åtgärdsmöte (quarterly): agenda from the data, effects, the room's input."""

from webapp import meeting_page

meeting_page.render("analys")
