"""A headless client that speaks Streamlit's websocket protocol, for load benchmarks.

A browser's first visit, without the browser: GET the page (as the browser fetches
``index.html``) and ``/_stcore/health`` (which sets the XSRF cookie), open
``ws://host:port/<base>/_stcore/stream`` with the cookies, the Origin and the XSRF token as
the browser sends them (so a login cookie, if given, is honoured), send the BackMsg
``rerun_script`` the frontend sends on connect (query string, page's URL path, an empty widget
state, the browser's time zone and locale), then read ForwardMsgs — ``new_session``,
``session_status_changed``, ``navigation``, ``page_info_changed``, every ``delta`` — until
``script_finished``. The time from the GET to ``script_finished`` is the server's whole answer
to a first visit: the script ran to the end and every element was sent. The browser's own
drawing (deck.gl, Vega) is not in it; ``benchmarks/startup.py`` measures that in Chromium.

Errors counted per visit: Exception elements (a traceback the app did not catch; warnings
excluded), ``st.error`` alerts (``webapp.errors.guard`` turns any exception into one, in
Swedish), ``page_not_found``, a script that did not finish successfully, and a connection
that closed or timed out first.

    python benchmarks/wsclient.py --url http://127.0.0.1:8501 --n 20 [--page karta]

prints each visit and the median, max and number of errors. Uses the ``websockets`` package
(its synchronous client; Streamlit itself depends on it) and Streamlit's own protobuf classes.
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
# The element fields whose text is kept (what a reader of the page sees).
XSRF = "_streamlit_xsrf"
TEXT_FIELDS = {"heading": ("body",), "markdown": ("body",), "metric": ("label", "body"),
               "alert": ("body",), "text": ("body",), "caption": ("body",)}


@dataclass
class Visit:
    """One first visit: how long until ``script_finished``, what went wrong, what was shown."""

    seconds: float
    errors: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # headings, markdown, metrics, alerts
    elements: int = 0  # deltas received
    bytes: int = 0  # ForwardMsg bytes received


def _cookie_header(jar: dict[str, str]) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())} if jar else {}


def _stream_url(base_url: str) -> str:
    parts = urllib.parse.urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    path = parts.path.rstrip("/") + "/_stcore/stream"
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, "", ""))


def _rerun(page: str, query: str) -> bytes:
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query
    state.page_name = page  # the URL path; Streamlit resolves it to the page's script
    state.page_script_hash = ""
    state.widget_states.SetInParent()  # a first visit: no widget has a value yet
    state.context_info.timezone = "Europe/Stockholm"
    state.context_info.timezone_offset = -60
    state.context_info.locale = "sv-SE"
    state.context_info.url = ""
    state.context_info.is_embedded = False
    return msg.SerializeToString()


def _texts(element, into: list[str]) -> None:
    kind = element.WhichOneof("type")
    for name in TEXT_FIELDS.get(kind, ()):
        value = getattr(getattr(element, kind), name)
        if value:
            into.append(value)


def first_visit(base_url: str, page: str = "", query: str = "", timeout: float = 120.0,
                get_page: bool = True, ssl_context: ssl.SSLContext | None = None,
                cookies: dict[str, str] | None = None) -> Visit:
    """Visit *page* (its URL path, "" for the default page) once as a new browser tab would.

    Parameters
    ----------
    base_url : str
        The app's address, e.g. ``http://127.0.0.1:8501`` (a path prefix such as
        ``/lulea`` is kept, for an app behind a proxy with ``server.baseUrlPath``).
    page : str
        The page's url_path (``karta``), or "" for the default page.
    query : str
        The query string without ``?`` (the app's URL-backed filters).
    timeout : float
        Seconds before the visit counts as failed.
    get_page : bool
        Fetch the page's HTML first, as a browser does (through a proxy this also checks
        the HTTP route).
    ssl_context : ssl.SSLContext, optional
        For ``https`` addresses, e.g. one that trusts a test certificate.
    cookies : dict, optional
        Cookies to send, e.g. a logged-in browser's ``_streamlit_user`` cookies: with login
        on, a visit without them measures the login page.

    Returns
    -------
    Visit
        Seconds from the first request to ``script_finished``, the errors seen, and the text
        of the headings, markdown, metrics and alerts the server sent.
    """
    started = time.perf_counter()
    visit = Visit(seconds=float("nan"))
    deadline = started + timeout
    jar = dict(cookies or {})
    base = base_url.rstrip("/")
    try:
        # As the browser: the page, then the health check, which gives the XSRF cookie; a
        # load balancer's sticky cookie is kept from the first answer on.
        for path in ([page + (f"?{query}" if query else "")] if get_page else []) + \
                ["_stcore/health"]:
            request = urllib.request.Request(f"{base}/{path}", headers=_cookie_header(jar))
            with urllib.request.urlopen(request, timeout=timeout,
                                        context=ssl_context) as answer:
                answer.read()
                for cookie in answer.headers.get_all("Set-Cookie") or []:
                    name, _, value = cookie.split(";", 1)[0].partition("=")
                    jar[name.strip()] = value.strip()
        parts = urllib.parse.urlsplit(base_url)
        headers = {**_cookie_header(jar), "Origin": f"{parts.scheme}://{parts.netloc}"}
        # The XSRF token as the second subprotocol: Streamlit then reads a login cookie.
        protocols = ["streamlit", jar[XSRF]] if XSRF in jar else ["streamlit"]
        secure = {"ssl": ssl_context} if ssl_context and base_url.startswith("https") else {}
        with connect(_stream_url(base_url), subprotocols=protocols,
                     additional_headers=headers, open_timeout=timeout,
                     max_size=None, compression=None, **secure) as ws:
            ws.send(_rerun(page, query))
            while True:
                left = deadline - time.perf_counter()
                if left <= 0:
                    visit.errors.append("timeout: no script_finished")
                    break
                raw = ws.recv(timeout=left)
                visit.bytes += len(raw)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                kind = msg.WhichOneof("type")
                if kind == "delta":
                    visit.elements += 1
                    delta = msg.delta
                    if delta.WhichOneof("type") == "new_element":
                        element = delta.new_element
                        which = element.WhichOneof("type")
                        if which == "exception" and not element.exception.is_warning:
                            visit.errors.append(f"exception: {element.exception.type}")
                        elif which == "alert" and element.alert.format == element.alert.ERROR:
                            visit.errors.append(f"st.error: {element.alert.body[:200]}")
                        _texts(element, visit.texts)
                elif kind == "page_not_found":
                    visit.errors.append(f"page not found: {msg.page_not_found.page_name}")
                elif kind == "script_finished":
                    if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                        continue  # the app called st.rerun(): the next run follows
                    if msg.script_finished not in FINISHED:
                        visit.errors.append(f"script_finished status {msg.script_finished}")
                    break
                # new_session, session_status_changed, navigation, page_info_changed,
                # page_config_changed, logo, parent_message …: read and passed over.
                # ref_hash never comes: we announce no cached messages.
    except Exception as exc:  # a closed connection or a refused request is a failed visit
        visit.errors.append(f"{type(exc).__name__}: {exc}")
    visit.seconds = time.perf_counter() - started
    return visit


def concurrent_visits(base_url: str, n: int, page: str = "", query: str = "",
                      timeout: float = 120.0, ssl_context: ssl.SSLContext | None = None,
                      cookies: dict[str, str] | None = None) -> list[Visit]:
    """*n* first visits started at the same moment (one thread each), as at a meeting's start."""
    results: list[Visit | None] = [None] * n
    barrier = threading.Barrier(n)

    def one(i: int) -> None:
        barrier.wait()
        results[i] = first_visit(base_url, page, query, timeout, ssl_context=ssl_context,
                                 cookies=cookies)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 30)
    return [r if r is not None else Visit(float("nan"), ["thread did not finish"])
            for r in results]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--n", type=int, default=20, help="concurrent first visits")
    parser.add_argument("--page", default="", help="url_path of the page ('' = Översikt)")
    parser.add_argument("--query", default="", help="query string without '?'")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--cafile", help="certificate to trust for an https address")
    args = parser.parse_args(argv)
    context = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    visits = concurrent_visits(args.url, args.n, args.page, args.query, args.timeout,
                               ssl_context=context)
    for i, v in enumerate(visits, 1):
        print(f"visit {i:3d}: {v.seconds:6.2f} s  {v.elements:4d} deltas  "
              f"{v.bytes / 1e3:8.1f} kB  errors: {'; '.join(v.errors) or 'none'}")
    times = [v.seconds for v in visits]
    errors = sum(1 for v in visits if v.errors)
    print(f"{len(visits)} concurrent first visits of /{args.page}: "
          f"median {statistics.median(times):.2f} s, max {max(times):.2f} s, "
          f"visits with errors {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
