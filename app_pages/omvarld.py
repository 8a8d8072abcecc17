"""Omvärldsbevakning: dated notes with source, link and tags."""

from webapp import world_page

world_page.render()
