"""Inställningar: what this installation runs with, read-only, for förvaltare."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from lagesbild import access
from lagesbild.config import SETTINGS
from lagesbild.errors import LagesbildError
from webapp import auth, data, widgets
from webapp.text import md


def _shown(name: str, value) -> str:
    if name == "db_url":  # never the password
        return sa.make_url(str(value)).render_as_string(hide_password=True)
    if isinstance(value, bool):
        return "ja" if value else "nej"
    return str(value)


def _login_text() -> str:
    if not auth.login_configured():
        return (f"{auth.LOCAL_NOTE}. Inget [auth] i .streamlit/secrets.toml; alla roller "
                "gäller.")
    section = st.secrets["auth"]
    named = {k: v for k, v in section.items() if isinstance(v, Mapping)}
    urls = [v.get("server_metadata_url", "") for v in named.values()] or \
        [section.get("server_metadata_url", "")]
    hosts = ", ".join(sorted({urlsplit(str(u)).netloc or "?" for u in urls}))
    return f"Inloggning med OpenID Connect är på (identitetsleverantör: {hosts})."


def render() -> None:
    auth.require("installningar")
    st.title("Inställningar")
    cfg = data.config()
    st.caption("Så är lägesbilden inställd. Inställningarna ändras i miljövariabler och filer på "
               "servern (README, avsnittet Configuration); sidan visar dem bara. Hemligheter "
               "visas aldrig.")
    st.subheader("Inloggning")
    st.write(md(_login_text()))
    st.subheader("Miljövariabler")
    widgets.fitted(pd.DataFrame(
        [(s.env, _shown(s.name, getattr(cfg, s.name)), s.help) for s in SETTINGS],
        columns=["Variabel", "Värde", "Betydelse"]))
    st.subheader("Roller")
    try:
        rules = auth.role_map().rules
    except LagesbildError as err:
        st.info(err.message, icon=":material/info:")
        return
    st.caption(f"Från {cfg.roles}. Den högsta roll som någon regel ger gäller.")
    widgets.fitted(pd.DataFrame(
        [(access.LABELS[r.role], ", ".join(r.emails), ", ".join(r.groups)) for r in rules],
        columns=["Roll", "E-post", "Grupper"]))
