"""Concurrent first visits to one app process, and to several behind deploy/nginx.conf.

    python benchmarks/behind_nginx.py [--processes 2] [--n 20] [--runs 3] [--db-url URL]

Starts the app processes (each with its own HOME) on one store — by default a fresh SQLite
demo store in a temporary folder; give --db-url for PostgreSQL — and nginx (Debian's) with
deploy/nginx.conf, its ports and a throw-away certificate swapped in. Then, per run, sends
*n* concurrent first visits of Översikt with benchmarks/wsclient.py straight to the first
process and through nginx, and prints median, max and errors with the load average. Asserts
nothing; tests/test_nginx.py checks that the configuration works, with login.

The processes run in local mode (no login), which the app refuses through a proxy that
announces itself: this copy of the configuration leaves out X-Forwarded-For, so the
benchmark measures the pages and not the refusal. Never do that in production.
"""

from __future__ import annotations

import argparse
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
import wsclient  # noqa: E402

HOST = "lagesbild.kommun.se"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _app(folder: Path, name: str, db_url: str):
    home = folder / f"home_{name}"
    home.mkdir()
    port = _port()
    env = {**os.environ, "HOME": str(home), "LAGESBILD_DB_URL": db_url, "LAGESBILD_DEMO": "0",
           "LAGESBILD_LOGG": str(folder / f"{name}.log")}
    with open(folder / f"server_{name}.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py",
                                 "--server.port", str(port), "--server.address", "127.0.0.1",
                                 "--server.headless", "true"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise SystemExit(f"app {name} did not start: see {folder}/server_{name}.log")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def _nginx(folder: Path, ports: list[int]):
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    site = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=2 fail_timeout=10s;" for p in ports)
    site = site.replace("    server 127.0.0.1:8501 max_fails=2 fail_timeout=10s;\n"
                        "    server 127.0.0.1:8502 max_fails=2 fail_timeout=10s;", servers)
    https = _port()
    forwarded = "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
    assert forwarded in site, "deploy/nginx.conf changed: update the benchmark"
    site = site.replace(forwarded, "")  # local mode only; see the docstring
    site = (site.replace("listen 80;", f"listen 127.0.0.1:{_port()};")
            .replace("listen 443 ssl;", f"listen 127.0.0.1:{https} ssl;")
            .replace(f"/etc/ssl/certs/{HOST}.pem", str(cert))
            .replace(f"/etc/ssl/private/{HOST}.key", str(key)))
    (folder / "site.conf").write_text(site, encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        f"events {{ worker_connections 1024; }}\nhttp {{\n"
        f"    client_body_temp_path {folder}/body;\n    proxy_temp_path {folder}/proxy;\n"
        f"    access_log off;\n    include {folder}/site.conf;\n}}\n", encoding="utf-8")
    proc = subprocess.Popen(["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"),
                             "-g", "daemon off;"])
    try:
        time.sleep(0.5)
        yield f"https://127.0.0.1:{https}", ssl.create_default_context(cafile=str(cert))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _report(label: str, visits) -> None:
    times = [v.seconds for v in visits]
    errors = sum(1 for v in visits if v.errors)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{label:<34} median {statistics.median(times):5.2f} s  max {max(times):5.2f} s  "
          f"errors {errors}  (load average {load})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db-url", help="the store (default: a fresh SQLite demo store)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-nginx-"))
    db_url = args.db_url or f"sqlite:///{folder / 'demo.sqlite'}"
    from lagesbild.config import Config
    from lagesbild.store import ingest

    ingest.open_store(replace(Config.from_env(), db_url=db_url, demo=True)).dispose()
    with ExitStack() as stack:
        ports = [stack.enter_context(_app(folder, f"p{i}", db_url))
                 for i in range(args.processes)]
        public, context = stack.enter_context(_nginx(folder, ports))
        for url in [f"http://127.0.0.1:{p}" for p in ports] + [public]:  # warm every process
            for _ in range(3):
                wsclient.first_visit(url, ssl_context=context)
        one = [wsclient.first_visit(f"http://127.0.0.1:{ports[0]}").seconds for _ in range(5)]
        print(f"one first visit, one process: median {statistics.median(one):.2f} s of 5")
        for run in range(1, args.runs + 1):
            _report(f"run {run}: {args.n} at once, 1 process",
                    wsclient.concurrent_visits(f"http://127.0.0.1:{ports[0]}", args.n))
            _report(f"run {run}: {args.n} at once, nginx+{args.processes}",
                    wsclient.concurrent_visits(public, args.n, ssl_context=context))
    return 0


if __name__ == "__main__":
    sys.exit(main())
