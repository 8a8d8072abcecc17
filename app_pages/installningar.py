"""Inställningar: what this installation runs with, read-only (förvaltare only)."""

from webapp import settings_page

settings_page.render()
