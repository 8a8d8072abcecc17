"""Prioritering: every area against every measure, ranked."""

from webapp import priority_page

priority_page.render()
