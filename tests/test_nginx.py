"""README's nginx configurations, for real: deploy/nginx.conf in front of two app processes on
one PostgreSQL store, and deploy/nginx-region.conf in front of two municipalities with a store
each, over HTTPS with a test certificate and login against a real OpenID Connect provider on
localhost (oidc-provider-mock), as in production.

Only the ports, the certificate and nginx's own files are swapped; server_name stays
lagesbild.kommun.se, which Chromium (and the websocket client, in this process) is told lives
on 127.0.0.1, so Streamlit's origin checks see exactly what they would in production.
Checked: the login round trip, the page, its websocket and a file upload all stay on one
process (the cookie lagesbild_server); 20 concurrent logged-in first visits by the websocket
client spread over both processes with no error; local mode (no login) is refused through
the proxy. In the region, each municipality's path reaches only its own processes, a login
holds for its own municipality only, and an import into one municipality's store shows
there and nowhere else.

Skipped without Debian's nginx (apt-get install nginx); under CI that is a failure, since
.ci/run installs it.
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import (
    ROOT,
    chromium,
    free_port,
    postgres_database,
    require_chromium,
    streamlit_app,
)
from test_login_browser import ROLES, USERS, provider  # noqa: F401 (a fixture)
from test_login_browser import login as browser_login

sys.path.insert(0, str(ROOT / "benchmarks"))
import wsclient  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

NGINX = "/usr/sbin/nginx"
HOST = "lagesbild.kommun.se"
# October 2026 (the demo's latest month) replaced by twelve reports.
OCTOBER = "\n".join(["Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare"] +
                    ["2026-10-05;972 31;Flicka;4;Våld mot barnet;Polis"] * 12) + "\n"


def require_nginx() -> None:
    """Skip without Debian's nginx (and openssl, for the certificate); under CI, fail."""
    if not Path(NGINX).exists() or not shutil.which("openssl"):
        if os.environ.get("CI"):
            pytest.fail("nginx or openssl is missing under CI: .ci/run should install them.")
        pytest.skip("Debian's nginx is not installed (apt-get install nginx openssl).")


def _certificate(folder: Path, host: str = HOST) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={host}", "-addext",
                    f"subjectAltName=DNS:{host},IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def site_config(name: str, host: str, app_ports: dict, http_port, https_port, cert,
                key) -> str:
    """deploy/<name> with this test's ports and certificate, nothing else changed."""
    text = (ROOT / "deploy" / name).read_text(encoding="utf-8")
    swaps = {f"127.0.0.1:{old}": f"127.0.0.1:{new}" for old, new in app_ports.items()}
    swaps |= {"listen 80;": f"listen 127.0.0.1:{http_port};",
              "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
              f"/etc/ssl/certs/{host}.pem": str(cert),
              f"/etc/ssl/private/{host}.key": str(key)}
    for old, new in swaps.items():
        assert text.count(old) == 1, f"deploy/{name} no longer has {old!r} once"
        text = text.replace(old, new)
    return text


@contextmanager
def nginx(folder: Path, site: str):
    """nginx in the foreground with *site* in its http block, logging which process served
    which request; yields the access log's path."""
    (folder / "site.conf").write_text(site, encoding="utf-8")
    log = folder / "access.log"
    user = "user root;\n" if os.geteuid() == 0 else ""  # its own temp files are root's
    (folder / "nginx.conf").write_text(f"""{user}worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    log_format sticky '$cookie_lagesbild_server|$lagesbild_key|$upstream_addr|$status|$request_uri';
    access_log {log} sticky;
    include {folder}/site.conf;
}}
""", encoding="utf-8")
    test = subprocess.run([NGINX, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                          capture_output=True, text=True)
    assert test.returncode == 0, test.stderr
    proc = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                             "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        assert proc.poll() is None, proc.stderr.read()
        yield log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _requests(log: Path) -> list[dict]:
    rows = []
    for line in log.read_text().splitlines():
        cookie, key, upstream, status, uri = line.split("|", 4)
        rows.append({"cookie": cookie, "key": key, "upstream": upstream, "status": status,
                     "uri": uri})
    return rows


def _demo_store(stack, postgres_url: str, name: str) -> str:
    """A database of its own holding the demo data; its URL."""
    from lagesbild.config import Config
    from lagesbild.release import publish

    url = stack.enter_context(postgres_database(postgres_url, name))
    # The demo with its months published, as a municipality's store has them.
    publish.open_store(replace(Config.from_env(), db_url=url, demo=True)).dispose()
    return url


def _app(stack, tmp_path: Path, name: str, url: str, login: Path | None, base: str = "") -> int:
    """An app process with its own HOME on the store *url*, with the login in the secrets
    file *login* (production: LAGESBILD_KRAV_INLOGGNING=1) or in local mode; its port."""
    home = tmp_path / f"home_{name}"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "LAGESBILD_DB_URL": url, "LAGESBILD_DEMO": "0",
           "LAGESBILD_LOGG": str(tmp_path / f"{name}.log")}
    options = ["--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false"]
    if login:
        (tmp_path / "roller.yaml").write_text(ROLES, encoding="utf-8")
        env |= {"LAGESBILD_KRAV_INLOGGNING": "1",
                "LAGESBILD_ROLLER": str(tmp_path / "roller.yaml")}
        options += ["--secrets.files", str(login)]
    if base:
        options += ["--server.baseUrlPath", base]
    port = free_port()
    stack.enter_context(streamlit_app(port, env, tmp_path / f"server_{name}.log", *options,
                                      base=base))
    return port


def _secrets(path: Path, public: str, provider: str, cookie_secret: str) -> Path:
    """The [auth] section every process of one municipality shares."""
    path.write_text(f"""[auth]
redirect_uri = "{public}/oauth2callback"
cookie_secret = "{cookie_secret}"
client_id = "lagesbild"
client_secret = "test-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
""", encoding="utf-8")
    return path


def _login_cookies(context) -> dict[str, str]:
    """The login's cookies of a browser context, without its sticky key and XSRF token."""
    return {c["name"]: c["value"] for c in context.cookies()
            if c["name"] not in {"lagesbild_server", wsclient.XSRF}}


@pytest.fixture
def resolve(monkeypatch):
    """resolve(name): *name* is 127.0.0.1 for this process, as Chromium is told; the websocket
    client then connects as a browser would, with the public Origin a login cookie names."""
    real = socket.getaddrinfo
    names = set()

    def getaddrinfo(host, *args, **kwargs):
        return real("127.0.0.1" if host in names else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names.add


def _overview(visit) -> bool:
    return visit.errors == [] and "Social lägesbild – översikt" in visit.texts


def test_two_servers_behind_the_readme_nginx_config(postgres_url, provider, resolve,
                                                    tmp_path):
    require_nginx()
    require_chromium()
    resolve(HOST)
    with ExitStack() as stack:
        url = _demo_store(stack, postgres_url, "nginx")
        https = free_port()
        public = f"https://{HOST}:{https}"
        login = _secrets(tmp_path / "secrets.toml", public, provider, "one-secret-for-both")
        ports = [_app(stack, tmp_path, name, url, login) for name in ("a", "b")]
        cert, key = _certificate(tmp_path)
        folder = tmp_path / "nginx"
        folder.mkdir()
        site = site_config("nginx.conf", HOST, {8501: ports[0], 8502: ports[1]}, free_port(),
                           https, cert, key)
        log = stack.enter_context(nginx(folder, site))

        browser = stack.enter_context(chromium(f"--host-resolver-rules=MAP {HOST} 127.0.0.1"))
        # The login's round trip (the app, the provider, /oauth2callback) comes back to the
        # process that started it, and an analytiker's upload goes to /_stcore/upload_file/
        # <session>/…, which only the process holding the page's websocket knows.
        context, page = browser_login(browser, public, "anders", ignore_https_errors=True)
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
        page.get_by_role("link", name="Import och datakvalitet").click()
        page.get_by_text("Fil att läsa in").wait_for(timeout=60_000)
        path = tmp_path / "oros_okt_2026.csv"
        path.write_text(OCTOBER, encoding="utf-8")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        page.get_by_text("Rader som sparas").wait_for(timeout=60_000)
        for text in ("Connection error", "Anslutningsfel"):
            assert page.get_by_text(text).count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        cookie = {c["name"]: c["value"] for c in context.cookies()}["lagesbild_server"]
        assert re.fullmatch(r"[0-9a-f]{32}", cookie)
        logged_in = _login_cookies(context)
        context.close()

        # 20 logged-in first visits at once; each gets its own sticky key, so they spread.
        trusted = ssl.create_default_context(cafile=str(cert))
        visits = wsclient.concurrent_visits(public, 20, timeout=180, ssl_context=trusted,
                                            cookies=logged_in)
        assert [v.errors for v in visits] == [[]] * 20
        assert all(_overview(v) for v in visits), visits[0].texts[:3]

    # nginx has written its log: every key went to one process, for every kind of request.
    rows = _requests(log)
    by_key = defaultdict(set)
    for row in rows:
        by_key[row["key"]].add(row["upstream"])
    assert all(len(upstreams) == 1 for upstreams in by_key.values()), by_key
    browser_rows = [r for r in rows if r["key"] == cookie]
    kinds = {"stream": "/_stcore/stream", "upload": "/_stcore/upload_file/",
             "login": "/oauth2callback"}
    for kind, prefix in kinds.items():
        assert any(r["uri"].startswith(prefix) for r in browser_rows), f"no {kind} request"
    ok = {"101", "200", "204", "302", "304", "307"}
    assert all(r["status"] in ok for r in browser_rows), \
        [(r["uri"][:60], r["status"]) for r in browser_rows if r["status"] not in ok]
    # The first request has no cookie yet ("-"); its key, which nginx set, is the cookie after.
    assert browser_rows[0]["cookie"] == "-" and browser_rows[-1]["cookie"] == cookie
    # The 20 clients' keys spread over both processes (all on one: probability 2**-19).
    assert len({u for ups in by_key.values() for u in ups}) == 2
    shutil.rmtree(folder / "proxy", ignore_errors=True)


def test_local_mode_is_refused_through_the_proxy(tmp_path):
    """Without login the app serves this computer only; nginx in front would serve anyone."""
    require_nginx()
    with ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
        ports = [_app(stack, tmp_path, name, url, None) for name in ("a", "b")]
        cert, key = _certificate(tmp_path)
        https = free_port()
        folder = tmp_path / "nginx"
        folder.mkdir()
        stack.enter_context(nginx(folder, site_config(
            "nginx.conf", HOST, {8501: ports[0], 8502: ports[1]}, free_port(), https, cert,
            key)))
        trusted = ssl.create_default_context(cafile=str(cert))
        proxied = wsclient.first_visit(f"https://127.0.0.1:{https}", timeout=120,
                                       ssl_context=trusted)
        direct = wsclient.first_visit(f"http://127.0.0.1:{ports[0]}", timeout=120)
    assert len(proxied.errors) == 1 and "nås genom en proxy" in proxied.errors[0]
    assert "Översikt" not in " ".join(proxied.texts)
    assert not any("proxy" in e for e in direct.errors)
    assert any("Lokalt läge" in t for t in direct.texts)


PLAIN_PROXY = """
map $cookie_lagesbild_server $lagesbild_key {{ default ""; }}  # named by the access log
server {{
    listen 127.0.0.1:{listen};
    location / {{
        proxy_pass http://127.0.0.1:{app};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
{extra}    }}
}}
"""


@pytest.mark.parametrize("extra", ["", "        proxy_set_header Host $http_host;\n"],
                         ids=["nginx-standard", "host-vidare"])
def test_local_mode_is_refused_behind_a_plain_proxy_that_adds_no_header(tmp_path, resolve,
                                                                         extra):
    """A reverse proxy that adds no forwarding header at all: local mode still refuses,
    since the browser's Origin (or the Host passed on) names the proxy, not this computer."""
    require_nginx()
    resolve(HOST)
    with ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
        port = _app(stack, tmp_path, "a", url, None)
        listen = free_port()
        folder = tmp_path / "nginx"
        folder.mkdir()
        log = stack.enter_context(nginx(folder, PLAIN_PROXY.format(listen=listen, app=port,
                                                                   extra=extra)))
        proxied = wsclient.first_visit(f"http://{HOST}:{listen}", timeout=120)
        media = urllib.request.Request(f"http://{HOST}:{listen}/_stcore/metrics")
        try:
            metrics = urllib.request.urlopen(media, timeout=30).status
        except urllib.error.HTTPError as err:
            metrics = err.code
    assert any(r["uri"].endswith("/_stcore/stream") for r in _requests(log))
    text = " ".join(proxied.errors)
    assert len(proxied.errors) == 1, proxied.errors
    assert "Översikt" not in " ".join(proxied.texts) and not proxied.texts[1:]
    if not extra:
        # nginx's own Host (127.0.0.1:port) differs from the browser's Origin: Streamlit
        # refuses the websocket before any script runs, so no page at all is served.
        assert "HTTP 403" in text
        return
    assert "Lägesbilden visar inget: utan inloggning får den bara användas på den här datorn" \
        in text
    assert "sidan nås under ett annat namn än den här datorns" in text
    assert "Ställ in inloggning ([auth] i .streamlit/secrets.to" in text  # cut at 200
    assert metrics == 404  # the check is in place once a script has run


def _first_card(visit) -> str:
    """Översikt's first card (orosanmälningar, latest month) as the client received it."""
    return visit.texts[visit.texts.index("Orosanmälningar") + 1]


def test_a_region_one_store_per_municipality_under_one_nginx(postgres_url, provider,
                                                             resolve, tmp_path):
    from lagesbild.config import Config
    from lagesbild.release import publish
    from lagesbild.store import ingest

    require_nginx()
    require_chromium()
    host = "lagesbild.region.se"
    resolve(host)
    with ExitStack() as stack:
        https = free_port()
        public = f"https://{host}:{https}"
        lulea = _demo_store(stack, postgres_url, "region_lulea")
        pitea = _demo_store(stack, postgres_url, "region_pitea")
        # Each municipality its own secrets: its redirect address and its own cookie secret.
        lulea_login = _secrets(tmp_path / "lulea.toml", f"{public}/lulea", provider, "lulea-s")
        pitea_login = _secrets(tmp_path / "pitea.toml", f"{public}/pitea", provider, "pitea-s")
        ports = {8511: _app(stack, tmp_path, "lulea_1", lulea, lulea_login, "lulea"),
                 8512: _app(stack, tmp_path, "lulea_2", lulea, lulea_login, "lulea"),
                 8521: _app(stack, tmp_path, "pitea", pitea, pitea_login, "pitea")}
        cert, key = _certificate(tmp_path, host)
        folder = tmp_path / "nginx"
        folder.mkdir()
        log = stack.enter_context(nginx(folder, site_config(
            "nginx-region.conf", host, ports, free_port(), https, cert, key)))

        browser = stack.enter_context(chromium(f"--host-resolver-rules=MAP {host} 127.0.0.1"))
        cookies = {}
        for municipality in ("lulea", "pitea"):
            context, page = browser_login(browser, f"{public}/{municipality}", "lisa",
                                              ignore_https_errors=True)
            page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.get_by_text("Connection error").count() == 0
            cookies[municipality] = _login_cookies(context)
            context.close()
        # Luleå's login is no login in Piteå, even sent there: Piteå has a cookie secret of
        # its own (and the browser keeps the cookie to /lulea anyway).
        context = browser.new_context(ignore_https_errors=True)
        context.add_cookies([{"name": k, "value": v, "url": f"{public}/"}
                             for k, v in cookies["lulea"].items()])
        page = context.new_page()
        page.goto(f"{public}/lulea/", wait_until="domcontentloaded")
        page.get_by_text(f"{USERS['lisa']['name']} · ").wait_for(timeout=60_000)
        page.goto(f"{public}/pitea/", wait_until="domcontentloaded")
        page.get_by_role("button", name="Logga in").wait_for(timeout=60_000)
        assert page.goto(f"{public}/", wait_until="commit").status == 404
        assert page.goto(f"{public}/pitea", wait_until="domcontentloaded").url.endswith("/pitea/")
        context.close()

        trusted = ssl.create_default_context(cafile=str(cert))

        def visit(municipality):
            done = wsclient.first_visit(f"{public}/{municipality}", timeout=180,
                                        ssl_context=trusted, cookies=cookies[municipality])
            assert _overview(done), done.errors
            return _first_card(done)

        before = {"lulea": visit("lulea"), "pitea": visit("pitea")}
        assert before["lulea"] == before["pitea"]  # the same demo data, so far
        # An import into Luleå's store: Luleå shows it, Piteå, another database, does not.
        cfg = replace(Config.from_env(), db_url=lulea, demo=False)
        engine = ingest.open_store(cfg, create=False)
        ingest.import_bytes(engine, cfg, OCTOBER.encode(), "oros_okt_2026.csv",
                            "orosanmalningar", created_by="test")
        publish.publish_month(engine, cfg, "2026-10", created_by="test")  # then it shows
        engine.dispose()
        assert visit("lulea") != before["lulea"]
        assert visit("pitea") == before["pitea"]

    rows = _requests(log)
    served = {"lulea": {f"127.0.0.1:{ports[8511]}", f"127.0.0.1:{ports[8512]}"},
              "pitea": {f"127.0.0.1:{ports[8521]}"}}
    for row in rows:
        municipality = row["uri"].split("/")[1].split("?")[0]
        if municipality in served and row["uri"] != f"/{municipality}":
            assert row["upstream"] in served[municipality], row
