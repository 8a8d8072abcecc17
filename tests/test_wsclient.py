"""The benchmark's websocket client (benchmarks/wsclient.py) against real servers: it sees the
page the server renders, and it counts what went wrong as errors."""

import os
import sys

import pytest
from conftest import ROOT, free_port, streamlit_app

sys.path.insert(0, str(ROOT / "benchmarks"))
import wsclient  # noqa: E402

OPTIONS = ("--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false")


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The app on the demo data, on an SQLite store of its own."""
    env = {**os.environ, "HOME": str(tmp_path_factory.mktemp("home")),
           "LAGESBILD_DB_URL": f"sqlite:///{tmp_path_factory.mktemp('db') / 'ws.sqlite'}"}
    with streamlit_app(free_port(), env, tmp_path_factory.mktemp("log") / "server.log",
                       *OPTIONS) as url:
        yield url


def test_a_first_visit_renders_the_overview_with_no_error(demo_app):
    visit = wsclient.first_visit(demo_app, timeout=180)
    assert visit.errors == []
    # The client has the page's content, so its time is the time of the real render.
    assert "Social lägesbild – översikt" in visit.texts
    assert "**Demodata – syntetiska siffror.**" in " ".join(visit.texts)
    for card in ("Orosanmälningar", "Våld i nära relation", "Akutboende"):
        assert card in visit.texts
    assert visit.elements > 30


def test_concurrent_visits_of_a_page_by_its_url_path(demo_app):
    visits = wsclient.concurrent_visits(demo_app, 3, page="karta", timeout=180)
    assert [v.errors for v in visits] == [[], [], []]
    assert all("Karta och områdesanalys" in v.texts for v in visits)
    assert all(v.seconds > 0 for v in visits)


def test_a_page_that_does_not_exist_is_an_error(demo_app):
    visit = wsclient.first_visit(demo_app, page="finns-inte", timeout=180)
    assert visit.errors == ["page not found: "]


def test_an_exception_and_st_error_are_counted_as_errors(tmp_path):
    (tmp_path / "raises.py").write_text(
        "import streamlit as st\n"
        "st.title('Före felet')\n"
        "if st.query_params.get('fel') == 'alert':\n"
        "    st.error('Något gick fel')\n"
        "else:\n"
        "    raise RuntimeError('boom')\n", encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp_path)}
    with streamlit_app(free_port(), env, tmp_path / "server.log", *OPTIONS,
                       "--client.showErrorDetails", "none", script="raises.py",
                       cwd=tmp_path) as url:
        raised = wsclient.first_visit(url, timeout=60)
        alerted = wsclient.first_visit(url, query="fel=alert", timeout=60)
    assert "Före felet" in raised.texts
    assert [e.split(":")[0] for e in raised.errors] == ["exception"]
    assert alerted.errors == ["st.error: Något gick fel"]


def test_a_server_that_is_not_there_is_an_error():
    visit = wsclient.first_visit(f"http://127.0.0.1:{free_port()}", timeout=5)
    assert len(visit.errors) == 1 and "Connection refused" in visit.errors[0]
