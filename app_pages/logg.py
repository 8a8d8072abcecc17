"""Logg: who signed in, imported, undid, changed profiles and exported what (förvaltare only)."""

from webapp import audit_page

audit_page.render()
