"""Åtgärder: the action register, effect per indicator, history."""

from webapp import actions_page

actions_page.render()
