"""Login, roles and the session: who is looking, and what they may see and do.

With ``[auth]`` in ``.streamlit/secrets.toml`` the app asks for a login through Streamlit's
OpenID Connect support (``st.login``), maps the identity provider's claims onto a role
(``lagesbild.access``, file ``LAGESBILD_ROLLER``), logs users out after
``LAGESBILD_SESSION_TIMMAR`` hours without activity, and writes sign-ins to the audit log.
Without ``[auth]`` it runs in local mode: no login, every role (it is the developer's own
machine), and only when the server listens on this computer alone and the request did not
come through a reverse proxy. With
``LAGESBILD_KRAV_INLOGGNING=1`` local mode is refused.

``gate()`` runs first on every script run (``app.py``); pages ask ``require()`` and
``allowed()``, and ``record()``/``logged_download()`` write the audit log as the current user.
"""

from __future__ import annotations

import getpass
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import streamlit as st

from lagesbild import access
from lagesbild.errors import LagesbildError
from lagesbild.store import audit
from webapp import data
from webapp.text import md

log = logging.getLogger("lagesbild.auth")

# Pages that need more than läsare, by url_path: the role and the page's title.
PAGE_ROLES = {"data": ("analytiker", "Import och datakvalitet"), "logg": ("forvaltare", "Logg"),
              "installningar": ("forvaltare", "Inställningar")}
LOCAL_NOTE = "Lokalt läge – ingen inloggning, nås bara från den här datorn"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# What a reverse proxy adds to a request: through one, "only this computer" no longer holds.
PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-host", "x-real-ip", "forwarded")
_KEY = "_identitet"


@dataclass(frozen=True)
class Identity:
    who: str  # what batches and the audit log record: e-mail, else name, else subject
    name: str  # what the sidebar shows
    role: str | None
    local: bool = False


def login_configured() -> bool:
    """Whether ``[auth]`` is in the secrets (and login therefore on)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def through_proxy(headers: Mapping[str, str]) -> bool:
    """Whether a request came through a reverse proxy (it carries one of PROXY_HEADERS)."""
    names = {name.lower() for name in headers}
    return any(header in names for header in PROXY_HEADERS)


def _headers() -> Mapping[str, str]:
    try:
        return st.context.headers or {}
    except Exception:  # no request behind this run (AppTest)
        return {}


def local_identity() -> Identity:
    return Identity(f"lokal användare ({getpass.getuser()})", "Lokal användare",
                    access.ROLES[-1], local=True)


def current() -> Identity:
    """Who is looking (set by ``gate()`` earlier in the same run)."""
    return st.session_state.get(_KEY) or local_identity()


def allowed(page: str) -> bool:
    needed = PAGE_ROLES.get(page)
    return needed is None or access.allows(current().role, needed[0])


def visibility(page: str) -> str:
    """``st.Page`` visibility: a page the role may not open stays out of the menu, but its
    URL still reaches it, where ``require()`` says which role is needed."""
    return "visible" if allowed(page) else "hidden"


def require(page: str) -> None:
    """Stop the page with a Swedish message when the current role may not open it."""
    if allowed(page):
        return
    role, title = PAGE_ROLES[page]
    ident = current()
    has = access.LABELS[ident.role] if ident.role else "ingen roll"
    st.title(title)
    st.error(f"Sidan {title} kräver rollen **{access.LABELS[role]}**. Du är inloggad som "
             f"{md(ident.name)} med rollen {has}. Be den som förvaltar lägesbilden "
             "om behörighet.", icon=":material/lock:")
    st.stop()


def record(action: str, details: Mapping | None = None) -> None:
    """Write an audit entry as the current user."""
    audit.record(data.engine(), current().who, action, details,
                 keep_days=data.config().audit_days)


def logged_download(make: Callable[[], bytes], details: Mapping) -> Callable[[], bytes]:
    """Wrap a download button's lazy ``data`` callable so that running it is logged.

    The callable runs outside the script (no session), so who and where are taken now.
    """
    who, engine, keep = current().who, data.engine(), data.config().audit_days

    def run() -> bytes:
        content = make()
        audit.record(engine, who, "export", details, keep_days=keep)
        return content

    return run


def _refuse(message: str) -> None:
    log.error("%s", message)
    st.error(message, icon=":material/block:")
    st.stop()


@st.cache_resource(show_spinner=False)
def _activity() -> dict:
    # Last activity per login (subject, time of issue), shared by the tabs of one login.
    # Server-side only; after a restart the login's own time of issue counts.
    return {}


def _expired(claims: Mapping, hours: int, now: float, touch: bool = True) -> bool:
    """Whether the login has been idle longer than *hours*; if not and *touch*, it is active
    now."""
    issued = claims.get("iat")
    key = (str(claims.get("sub") or claims.get("email")), issued)
    seen = _activity()
    last = seen.get(key) or (float(issued) if isinstance(issued, (int, float)) else now)
    if now - last > hours * 3600:
        seen.pop(key, None)
        return True
    if not touch:
        return False
    seen[key] = now
    if len(seen) > 1000:  # forget logins idle past the limit, so the map stays small
        for stale in [k for k, t in list(seen.items()) if now - t > hours * 3600]:
            seen.pop(stale, None)
    return False


@st.cache_resource(show_spinner=False, max_entries=4)
def _roles(path: str, mtime: float) -> access.RoleMap:
    return access.load_roles(path)


def role_map() -> access.RoleMap:
    """The role file's rules, re-read when the file changes."""
    path = data.config().roles
    return _roles(str(path), path.stat().st_mtime if path.exists() else 0.0)


def _providers() -> list[str | None]:
    """Named providers (``[auth.name]``), or None for the settings directly in ``[auth]``."""
    named = [k for k, v in st.secrets["auth"].items() if isinstance(v, Mapping)]
    return named or [None]


def _login_page() -> None:
    st.title("Social lägesbild")
    st.write("Lägesbilden innehåller sekretessbelagda uppgifter (OSL 26 kap.). Logga in med "
             "ditt konto i kommunen.")
    for provider in _providers():
        label = "Logga in" if provider is None else f"Logga in med {provider}"
        if st.button(label, type="primary", icon=":material/login:",
                     key=f"logga_in_{provider or 'standard'}"):
            st.login(provider)
    st.stop()


def _logout(reason: str) -> None:
    record("utloggning", {"orsak": reason})
    st.session_state.pop(_KEY, None)
    st.logout()
    st.stop()


def gate() -> Identity:
    """Decide who is looking, or stop the run with a login page or a Swedish refusal."""
    try:
        cfg = data.config()
        if not login_configured():
            if cfg.require_login:
                _refuse("Lägesbilden startar inte: LAGESBILD_KRAV_INLOGGNING är på men ingen "
                        "inloggning är inställd. Lägg in avsnittet [auth] i "
                        ".streamlit/secrets.toml (se README: Turning login on).")
            address = st.get_option("server.address")
            if address not in LOOPBACK:
                shown = address or "alla adresser"
                _refuse(f"Lägesbilden visar inget: utan inloggning får servern bara lyssna på "
                        f"den här datorn, men server.address är ”{shown}”. "
                        "Ställ in inloggning ([auth] i .streamlit/secrets.toml) eller starta "
                        "med --server.address 127.0.0.1.")
            if through_proxy(_headers()):
                # A proxy on this computer (nginx before several servers) would hand local
                # mode, every role and no login, to anyone who reaches the proxy.
                _refuse("Lägesbilden visar inget: utan inloggning får den bara användas på "
                        "den här datorn, men sidan nås genom en proxy (till exempel nginx). "
                        "Ställ in inloggning ([auth] i .streamlit/secrets.toml; se README: "
                        "Flera servrar).")
            ident = local_identity()
            st.session_state[_KEY] = ident
            return ident
        if not st.user.get("is_logged_in"):
            st.session_state.pop(_KEY, None)
            _login_page()
        claims = st.user.to_dict()
        email = access.email_of(claims)
        name = str(claims.get("name") or email or claims.get("sub") or "okänd")
        ident = Identity(email or name, name, role_map().role_for(claims))
        st.session_state[_KEY] = ident
        if _expired(claims, cfg.session_hours, time.time()):
            _logout("inaktiv för länge")
        if st.session_state.get("_inloggning_loggad") != ident.who:
            record("inloggning", {"namn": name, "roll": ident.role})
            st.session_state["_inloggning_loggad"] = ident.who
    except LagesbildError as err:
        _refuse(err.message)
    if ident.role is None:
        st.title("Social lägesbild")
        st.error(f"Du är inloggad som {md(name)} men har ingen roll i lägesbilden. Be "
                 "den som förvaltar lägesbilden att lägga till dig eller din grupp i rollfilen.",
                 icon=":material/lock:")
        if st.button("Logga ut", key="logga_ut"):
            _logout("knapp")
        st.stop()
    return ident


def sidebar() -> None:
    """Who is logged in and as what, discreetly, with a logout button; or the local-mode note."""
    ident = current()
    with st.sidebar:
        if ident.local:
            st.caption(f":material/computer: **{LOCAL_NOTE}.** Alla roller gäller, eftersom "
                       "det är din egen dator.")
            return
        role = access.LABELS[ident.role]
        st.caption(f":material/person: {md(ident.name)} · {role}")
        if st.button("Logga ut", key="logga_ut", type="tertiary", icon=":material/logout:"):
            _logout("knapp")
        _watch_idle()


@st.fragment(run_every=300)
def _watch_idle() -> None:
    # A screen left open in a meeting room gets no clicks: look every five minutes whether
    # the login has been idle too long, without counting the look as activity.
    if _expired(st.user.to_dict(), data.config().session_hours, time.time(), touch=False):
        _logout("inaktiv för länge")
