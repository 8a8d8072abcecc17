"""The Streamlit layer: everything that imports streamlit, apart from ``app.py`` and the thin
scripts in ``app_pages/``.

``errors`` (the one error box), ``data`` (cached store, configuration and map layers),
``state`` (filters and choices kept in the URL, presentation mode), ``widgets`` (cards,
charts and tables with their downloads), and one module per kind of page: ``overview``,
``karta`` (with an area's profile), ``measure`` (the five pages of the verksamhetsområden),
``import_page``, ``about``, ``audit_page`` and ``settings_page``; ``auth`` (login, roles,
session, audit entries). Numbers come from ``lagesbild``; this layer caches the calls and
draws the result.
"""
