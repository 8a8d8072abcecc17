"""Requests the script never sees: downloads (``/media/…``) and ``/_stcore/metrics``.

Streamlit serves a download's file at ``/media/<hash>`` to anyone who has the address while
the session lives, and answers ``/_stcore/metrics`` to anyone. :func:`install` puts a check in
front of the running server's request handling (Streamlit offers no hook for it under
``streamlit run``, so the first script run wraps the Starlette app it finds in memory):

* with login on, a file is served only to a request that carries the signed login cookie of
  a login the store has not ended and that is not idle (``lagesbild.views.sessions``), and
  a download made through ``auth.logged_download`` only to the login it was made for;
  metrics are not served at all;
* in local mode, both only to a request from this computer (``auth.not_local``);
* the app's page icon (a media file too) to anyone: the sign-in page shows it.

Anything else gets 404, as if there were nothing there. ``deploy/nginx.conf`` closes the
metrics too, so they are closed even before the first visit installs the check.
"""

from __future__ import annotations

import gc
import json
import logging
import threading

log = logging.getLogger("lagesbild.guard")

_lock = threading.Lock()
_done = False


def _guarded(path: str) -> str | None:
    """"media" or "metrics" for the guarded routes under server.baseUrlPath, else None
    (``/static/media/…`` are the app's own fonts, for everyone)."""
    from streamlit import config

    base = "/" + (config.get_option("server.baseUrlPath") or "").strip("/")
    rest = path[len(base.rstrip("/")):] if path.startswith(base) else None
    if rest == "/_stcore/metrics":
        return "metrics"
    if rest is not None and rest.startswith("/media/"):
        return "media"
    return None


def allowed(scope: dict) -> bool:
    """Whether a guarded request (media or metrics) may be answered."""
    from datetime import timedelta

    from lagesbild.views import sessions
    from webapp import auth, data

    kind = _guarded(scope.get("path", ""))
    if kind == "media" and _is_icon(scope["path"].rsplit("/media/", 1)[1]):
        return True  # the tab's icon, shown on the sign-in page too
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
    client = (scope.get("client") or (None,))[0]
    if not auth.login_configured():
        return auth.not_local(headers, client) is None
    if kind == "metrics":
        return False
    from starlette.requests import Request
    from streamlit.web.server.starlette.starlette_auth_routes import (
        _get_cookie_value_from_request,
    )

    value = _get_cookie_value_from_request(Request(scope), "_streamlit_user")
    if not value:
        return False
    claims = json.loads(value)
    if not claims.get("is_logged_in"):
        return False
    login = sessions.key(claims)
    if not sessions.active(data.engine(), login, timedelta(hours=data.config().session_hours)):
        return False
    made = _file(scope["path"].rsplit("/media/", 1)[1])
    made_for = auth.owners(made.content) if made is not None else set()
    return not made_for or login in made_for  # another login's file is not yours


def _file(file_id: str):
    """Streamlit's stored media file *file_id* (content, kind), or None."""
    from streamlit.runtime import Runtime

    try:
        return Runtime.instance().media_file_mgr._storage.get_file(file_id.split(".")[0])
    except Exception:  # unknown id, no runtime
        return None


def _is_icon(file_id: str) -> bool:
    """Whether the media file *file_id* is the app's own page icon (``webapp/ikon.png``)."""
    from streamlit.runtime.media_file_storage import MediaFileKind

    found = _file(file_id)
    return found is not None and found.kind != MediaFileKind.DOWNLOADABLE and \
        found.content == _icon()


def _icon() -> bytes:
    from pathlib import Path

    return (Path(__file__).parent / "ikon.png").read_bytes()


class _Guard:
    """ASGI wrapper: 404 for a guarded request that :func:`allowed` refuses."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "http" and _guarded(scope.get("path", "")):
            from anyio import to_thread
            from starlette.responses import PlainTextResponse

            try:
                ok = await to_thread.run_sync(allowed, scope)
            except Exception:  # a broken cookie, a store that does not answer: no file
                log.warning("guarded request refused after an error", exc_info=True)
                ok = False
            if not ok:
                await PlainTextResponse("Finns inte.", status_code=404)(scope, receive, send)
                return
        await self.inner(scope, receive, send)


def install() -> None:
    """Put the check in front of this process's Streamlit server (once; nothing under
    AppTest, which has no server)."""
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        from starlette.applications import Starlette

        for app in [o for o in gc.get_objects() if isinstance(o, Starlette)]:
            inner = app.middleware_stack or app.build_middleware_stack()
            if not isinstance(inner, _Guard):
                app.middleware_stack = _Guard(inner)
                log.info("downloads and metrics guarded")
        _done = True
