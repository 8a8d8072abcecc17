"""Local mode, asserted on a running server: started exactly as the Quickstart starts it
(``streamlit run app.py``, no address given), it listens on 127.0.0.1 and nowhere else."""

import os
import socket
import subprocess

import pytest
from conftest import free_port, streamlit_app


def _listening(port: int) -> set[str]:
    """Local addresses of sockets listening on *port*, read from the kernel's tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    words = [bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, 32, 8)]
                    found.add(socket.inet_ntop(socket.AF_INET6, b"".join(words)))
    return found


def _outside_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses."""
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
    return [a for a in out if "." in a and not a.startswith("127.")]


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    port = free_port()
    env = {**os.environ, "HOME": str(tmp_path_factory.mktemp("home")),
           "LAGESBILD_DB_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'l.sqlite'}"}
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    # Only the port is given: the address comes from .streamlit/config.toml, as in Quickstart.
    with streamlit_app(port, env, tmp_path_factory.mktemp("log") / "server.log"):
        yield port


def test_local_mode_listens_on_loopback_only(local_server):
    port = local_server
    assert _listening(port) == {"127.0.0.1"}
    for address in _outside_addresses():
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((address, port)) != 0, f"reachable on {address}:{port}"
