"""README's nginx configurations, for real: deploy/nginx.conf in front of two app processes on
one PostgreSQL store, and deploy/nginx-region.conf in front of two municipalities with a store
each, over HTTPS with a test certificate.

Only the ports, the certificate and nginx's own files are swapped; server_name stays
lagesbild.kommun.se, which Chromium is told lives on 127.0.0.1, so Streamlit's origin check
sees exactly what it would in production. Checked: the page renders through the proxy, its
websocket and a file upload stay on one process (the cookie lagesbild_server), the other
browser's key can go to the other process, and 20 concurrent first visits by the websocket
client spread over both with no error. In the region, each municipality's path reaches only
its own processes, and an import into one municipality's store shows there and nowhere else.

Skipped without Debian's nginx (apt-get install nginx); under CI that is a failure, since
.ci/run installs it.
"""

import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import (ROOT, chromium, free_port, postgres_database, require_chromium,
                      streamlit_app)

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
    from lagesbild.store import ingest

    url = stack.enter_context(postgres_database(postgres_url, name))
    ingest.open_store(replace(Config.from_env(), db_url=url, demo=True)).dispose()
    return url


def _app(stack, tmp_path: Path, name: str, url: str, base: str = "") -> int:
    """An app process with its own HOME on the store *url*; its port."""
    home = tmp_path / f"home_{name}"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "LAGESBILD_DB_URL": url, "LAGESBILD_DEMO": "0",
           "LAGESBILD_LOGG": str(tmp_path / f"{name}.log")}
    port = free_port()
    base_option = ("--server.baseUrlPath", base) if base else ()
    stack.enter_context(streamlit_app(
        port, env, tmp_path / f"server_{name}.log", "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false", *base_option,
        base=base))
    return port


def test_two_servers_behind_the_readme_nginx_config(postgres_url, tmp_path):
    require_nginx()
    require_chromium()
    with ExitStack() as stack:
        url = _demo_store(stack, postgres_url, "nginx")
        ports = [_app(stack, tmp_path, name, url) for name in ("a", "b")]
        cert, key = _certificate(tmp_path)
        https = free_port()
        folder = tmp_path / "nginx"
        folder.mkdir()
        site = site_config("nginx.conf", HOST, {8501: ports[0], 8502: ports[1]}, free_port(),
                           https, cert, key)
        log = stack.enter_context(nginx(folder, site))
        public = f"https://{HOST}:{https}"

        browser = stack.enter_context(chromium(f"--host-resolver-rules=MAP {HOST} 127.0.0.1"))
        context = browser.new_context(viewport={"width": 1600, "height": 1100},
                                      ignore_https_errors=True)
        page = context.new_page()
        page.goto(public, wait_until="domcontentloaded")
        page.get_by_text("Demodata – syntetiska siffror").wait_for(timeout=60_000)
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
        # An upload goes to /_stcore/upload_file/<session>/…: it works only on the process
        # that holds the page's websocket.
        page.get_by_role("link", name="Import och datakvalitet").click()
        page.get_by_text("Fil att läsa in").wait_for(timeout=60_000)
        path = tmp_path / "oros_okt_2026.csv"
        path.write_text("Inkomstdatum;Postnummer;Kön;Ålder;Aktualiseringsorsak;Anmälare\n"
                        "2026-10-05;972 31;Flicka;4;Våld mot barnet;Polis\n", encoding="utf-8")
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        page.get_by_text("Rader som sparas").wait_for(timeout=60_000)
        for text in ("Connection error", "Anslutningsfel"):
            assert page.get_by_text(text).count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
        cookie = {c["name"]: c["value"] for c in context.cookies()}["lagesbild_server"]
        assert re.fullmatch(r"[0-9a-f]{32}", cookie)
        context.close()

        trusted = ssl.create_default_context(cafile=str(cert))
        visits = wsclient.concurrent_visits(f"https://127.0.0.1:{https}", 20,
                                            timeout=180, ssl_context=trusted)
        assert [v.errors for v in visits] == [[]] * 20
        assert all("Social lägesbild – översikt" in v.texts for v in visits)

    # nginx has written its log: every key went to one process, for every kind of request.
    rows = _requests(log)
    by_key = defaultdict(set)
    for row in rows:
        by_key[row["key"]].add(row["upstream"])
    assert all(len(upstreams) == 1 for upstreams in by_key.values()), by_key
    browser_rows = [r for r in rows if r["key"] == cookie]
    kinds = {"stream": "/_stcore/stream", "upload": "/_stcore/upload_file/"}
    for kind, prefix in kinds.items():
        assert any(r["uri"].startswith(prefix) for r in browser_rows), f"no {kind} request"
    assert all(r["status"] in {"101", "200", "204", "304"} for r in browser_rows), browser_rows
    # The first request has no cookie yet ("-"); its key, which nginx set, is the cookie after.
    assert browser_rows[0]["cookie"] == "-" and browser_rows[-1]["cookie"] == cookie
    # The 20 clients' keys spread over both processes (all on one: probability 2**-19).
    assert len({u for ups in by_key.values() for u in ups}) == 2
    shutil.rmtree(folder / "proxy", ignore_errors=True)


def _first_card(visit) -> str:
    """Översikt's first card (orosanmälningar, latest month) as the client received it."""
    return visit.texts[visit.texts.index("Orosanmälningar") + 1]


def test_a_region_one_store_per_municipality_under_one_nginx(postgres_url, tmp_path):
    from lagesbild.config import Config
    from lagesbild.store import ingest

    require_nginx()
    require_chromium()
    host = "lagesbild.region.se"
    with ExitStack() as stack:
        lulea = _demo_store(stack, postgres_url, "region_lulea")
        pitea = _demo_store(stack, postgres_url, "region_pitea")
        ports = {8511: _app(stack, tmp_path, "lulea_1", lulea, "lulea"),
                 8512: _app(stack, tmp_path, "lulea_2", lulea, "lulea"),
                 8521: _app(stack, tmp_path, "pitea", pitea, "pitea")}
        cert, key = _certificate(tmp_path, host)
        https = free_port()
        folder = tmp_path / "nginx"
        folder.mkdir()
        log = stack.enter_context(nginx(folder, site_config(
            "nginx-region.conf", host, ports, free_port(), https, cert, key)))
        trusted = ssl.create_default_context(cafile=str(cert))
        public = f"https://127.0.0.1:{https}"

        def visit(path):
            done = wsclient.first_visit(f"{public}/{path}", timeout=180, ssl_context=trusted)
            assert done.errors == [] and "Social lägesbild – översikt" in done.texts
            return _first_card(done)

        before = {"lulea": visit("lulea"), "pitea": visit("pitea")}
        assert before["lulea"] == before["pitea"]  # the same demo data, so far
        # An import into Luleå's store: Luleå shows it, Piteå, another database, does not.
        cfg = replace(Config.from_env(), db_url=lulea, demo=False)
        engine = ingest.open_store(cfg, create=False)
        ingest.import_bytes(engine, cfg, OCTOBER.encode(), "oros_okt_2026.csv",
                            "orosanmalningar", created_by="test")
        engine.dispose()
        assert visit("lulea") != before["lulea"]
        assert visit("pitea") == before["pitea"]

        browser = stack.enter_context(chromium(f"--host-resolver-rules=MAP {host} 127.0.0.1"))
        page = browser.new_page(viewport={"width": 1600, "height": 1100},
                                ignore_https_errors=True)
        answer = page.goto(f"https://{host}:{https}/pitea", wait_until="domcontentloaded")
        assert answer.url.endswith("/pitea/")
        page.get_by_text("Demodata – syntetiska siffror").wait_for(timeout=60_000)
        page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("Connection error").count() == 0
        assert page.goto(f"https://{host}:{https}/", wait_until="commit").status == 404

    rows = _requests(log)
    served = {"lulea": {f"127.0.0.1:{ports[8511]}", f"127.0.0.1:{ports[8512]}"},
              "pitea": {f"127.0.0.1:{ports[8521]}"}}
    for row in rows:
        municipality = row["uri"].split("/")[1]
        if municipality in served and row["uri"] != f"/{municipality}":
            assert row["upstream"] in served[municipality], row
