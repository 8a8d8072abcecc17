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
import hashlib
import ipaddress
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import streamlit as st

from lagesbild import access
from lagesbild.errors import LagesbildError
from lagesbild.views import audit_log, sessions
from webapp import data
from webapp.text import md

log = logging.getLogger("lagesbild.auth")

# Pages that need more than läsare, by url_path: the role and the page's title.
PAGE_ROLES = {"data": ("analytiker", "Import och datakvalitet"), "logg": ("forvaltare", "Logg"),
              "installningar": ("forvaltare", "Inställningar")}
LOCAL_NOTE = "Lokalt läge – ingen inloggning, nås bara från den här datorn"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# What a reverse proxy or a load balancer adds to a request: through one, "only this
# computer" no longer holds. A proxy that adds none of them is caught by Host and Origin.
PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
                 "x-forwarded-port", "x-forwarded-server", "x-forwarded-prefix",
                 "x-forwarded-ssl", "x-forwarded-scheme", "x-real-ip", "x-client-ip",
                 "x-cluster-client-ip", "x-original-forwarded-for", "x-original-host",
                 "x-original-url", "x-host", "true-client-ip", "cf-connecting-ip",
                 "fastly-client-ip", "forwarded", "via", "x-proxyuser-ip", "client-ip",
                 "x-envoy-external-address", "x-amzn-trace-id", "x-appgw-trace-id",
                 "x-arr-log-id", "x-arr-ssl", "x-request-start")
LOGIN_HELP = ("Ställ in inloggning ([auth] i .streamlit/secrets.toml; se README: Turning "
              "login on) för att nå lägesbilden på det sättet.")
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


def _loopback_name(host: str) -> bool:
    """Whether *host* (a Host header or an Origin's host, perhaps with a port) names this
    computer: localhost, 127.0.0.0/8 or ::1."""
    host = host.strip().lower()
    if not host:
        return False
    name = urlsplit(f"//{host}").hostname or ""
    if name in ("localhost", "localhost.") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def not_local(headers: Mapping[str, str], client: str | None = None) -> str | None:
    """Why a request may not get local mode (Swedish), or None if it really is from this
    computer: no forwarding or proxy header, a loopback Host, a loopback Origin if the
    browser sent one, and a loopback client address if known."""
    lower = {name.lower(): str(value) for name, value in headers.items()}
    if through_proxy(lower):
        return "sidan nås genom en proxy (till exempel nginx)"
    if not _loopback_name(lower.get("host", "")):
        return "sidan nås under ett annat namn än den här datorns (localhost)"
    origin = lower.get("origin")
    if origin is not None and (origin == "null" or
                               not _loopback_name(urlsplit(origin).netloc)):
        return "sidan öppnades från en annan adress än den här datorns"
    if client:
        try:
            if not ipaddress.ip_address(client).is_loopback:
                return "besökaren sitter vid en annan dator"
        except ValueError:
            return "besökarens adress är okänd"
    return None


def _headers() -> Mapping[str, str] | None:
    """The websocket request's headers, or None when no request is behind this run
    (AppTest, which runs the script in-process)."""
    try:
        headers = st.context.headers
    except Exception:
        return None
    return dict(headers) if headers is not None and len(headers) else None


def _client() -> str | None:
    try:
        return st.context.ip_address
    except Exception:
        return None


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
    audit_log.record(data.engine(), current().who, action, details,
                 keep_days=data.config().audit_days)


# Which login made each download (the SHA-256 of its bytes -> logins), so that webapp/guard
# serves a file only to the login it was made for. Streamlit names a file by a hash of its
# content, so two logins that make the same table get the same address: both are kept.
_OWNERS: OrderedDict[str, set[str]] = OrderedDict()
_OWNERS_KEPT = 2000
_owners_lock = threading.Lock()


def owners(content: bytes) -> set[str]:
    """The logins a download with these bytes was made for (empty: not one of ours)."""
    with _owners_lock:
        return set(_OWNERS.get(hashlib.sha256(content).hexdigest(), ()))


def logged_download(make: Callable[[], bytes], details: Mapping) -> Callable[[], bytes]:
    """Wrap a download button's lazy ``data`` callable so that running it is logged, and the
    file it makes is served to this login only (``webapp/guard.py``).

    The callable runs outside the script (no session), so who and where are taken now.
    """
    who, engine, keep = current().who, data.engine(), data.config().audit_days
    login = _login_key()

    def run() -> bytes:
        content = make()
        audit_log.record(engine, who, "export", details, keep_days=keep)
        if login:
            digest = hashlib.sha256(content if isinstance(content, bytes)
                                    else str(content).encode()).hexdigest()
            with _owners_lock:
                _OWNERS.setdefault(digest, set()).add(login)
                _OWNERS.move_to_end(digest)
                while len(_OWNERS) > _OWNERS_KEPT:
                    _OWNERS.popitem(last=False)
        return content

    return run


def _refuse(message: str) -> None:
    log.error("%s", message)
    st.error(message, icon=":material/block:")
    st.stop()


def _idle_after() -> timedelta:
    return timedelta(hours=data.config().session_hours)


def _login_key() -> str | None:
    try:
        return sessions.key(st.user.to_dict()) if st.user.get("is_logged_in") else None
    except Exception:  # no user behind this run
        return None


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


def _login_page(note: str | None = None) -> None:
    st.title("Social lägesbild")
    if note:
        st.info(note, icon=":material/logout:")
    st.write("Lägesbilden innehåller sekretessbelagda uppgifter (OSL 26 kap.). Logga in med "
             "ditt konto i kommunen.")
    for provider in _providers():
        label = "Logga in" if provider is None else f"Logga in med {provider}"
        if st.button(label, type="primary", icon=":material/login:",
                     key=f"logga_in_{provider or 'standard'}"):
            st.login(provider)
    st.stop()


ENDED = "Du är utloggad. Logga in igen för att fortsätta."


def _logout(reason: str) -> None:
    """End the login in the store (every tab, every copy of its cookie), then in the
    browser."""
    login = _login_key()
    if login:
        sessions.end(data.engine(), login, reason)
    record("utloggning", {"orsak": reason})
    st.session_state.pop(_KEY, None)
    st.session_state.pop("_inloggning_loggad", None)
    st.logout()
    st.stop()


def _session(claims: Mapping, ident: Identity) -> None:
    """Let the run go on only for a login the store knows and has not ended; a new sign-in
    is recorded, an ended, idle or unknown one gets the sign-in page."""
    engine, login = data.engine(), sessions.key(claims)
    found = sessions.status(engine, login, _idle_after())
    if not found.known and sessions.is_fresh(claims):
        sessions.begin(engine, login)
        record("inloggning", {"namn": ident.name, "roll": ident.role})
        st.session_state["_inloggning_loggad"] = ident.who
        return
    if found.known and not found.ended and not found.idle:
        if found.stale():
            try:
                sessions.touch(engine, login)
            except LagesbildError as err:  # busy with an import: the next click counts
                log.warning("activity not recorded: %s", err.message)
        if st.session_state.get("_inloggning_loggad") != ident.who:
            st.session_state["_inloggning_loggad"] = ident.who  # a new tab of the login
        return
    if found.ended:  # logged out (here, in another tab, or a copied cookie): not again
        st.session_state.pop(_KEY, None)
        _login_page(ENDED)
    # Idle, or a login the store does not know from before (a copied cookie of a store
    # that was replaced): ended here and now, and said so in the audit log.
    _logout("inaktiv för länge" if found.idle or not _recent(claims) else "okänd inloggning")


def _recent(claims: Mapping) -> bool:
    return sessions.issued_within(claims, _idle_after())


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
            headers = _headers()
            why = not_local(headers, _client()) if headers is not None else None
            if why:
                # A proxy on this computer (nginx before several servers, even one that adds
                # no header) would hand local mode, every role and no login, to anyone who
                # reaches the proxy.
                _refuse(f"Lägesbilden visar inget: utan inloggning får den bara användas på "
                        f"den här datorn, men {why}. {LOGIN_HELP}")
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
        _session(claims, ident)
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
    # the login has been idle too long or was ended in another tab, without counting the
    # look as activity.
    login = _login_key()
    if login is None:
        return
    found = sessions.status(data.engine(), login, _idle_after())
    if found.ended:
        st.session_state.pop(_KEY, None)
        st.rerun()  # the gate shows the sign-in page
    if found.idle:
        _logout("inaktiv för länge")
