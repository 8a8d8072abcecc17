"""Avstämningsmöte (monthly): agenda from the data, the room's input, open items."""

from webapp import meeting_page

meeting_page.render("avstamning")
