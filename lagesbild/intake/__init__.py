"""Intake: a source file becomes canonical monthly counts, or a list of Swedish problems.

``load`` reads Excel and CSV and renames headers, ``personnummer`` refuses files that hold
one, ``normalize`` turns source values into catalogue codes, ``validate`` checks the result
against the ``schemas``, and ``profiles`` hold each source system's header names and codes.
Nothing here writes to the store: ``store.ingest`` does that.
"""
