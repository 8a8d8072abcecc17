"""Sign-ins as the page layer asks about them (``store.sessions``): the id of a login, whether
the store knows it, has ended it or finds it idle, and the writes that begin, touch and end
it. ``webapp/auth.py`` and ``webapp/guard.py`` come here, never to the store."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from lagesbild.store import sessions
from lagesbild.store.sessions import Status, active, begin, end, is_fresh, key, status, touch

__all__ = ["Status", "active", "begin", "end", "is_fresh", "issued_within", "key", "status",
           "touch"]


def issued_within(claims: Mapping, idle_after: timedelta) -> bool:
    """Whether the login in *claims* was issued no longer than *idle_after* ago (an unknown
    login older than that has simply gone idle; a younger one is a stranger)."""
    issued = claims.get("iat")
    return isinstance(issued, (int, float)) and \
        sessions._now().timestamp() - issued <= idle_after.total_seconds()
