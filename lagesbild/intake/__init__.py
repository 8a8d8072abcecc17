"""Intake: a source file becomes canonical monthly counts, or a list of Swedish problems.

``load`` reads Excel and CSV and renames headers (``workbook`` inspects a workbook against
the size limits and parses it in a child process, ``parse_child``), ``personnummer`` refuses
files that hold one, ``normalize`` turns source values into catalogue codes (``dates`` reads
dates without guessing), ``validate`` checks the result against the ``schemas``, and
``profiles`` hold each source system's header names and codes. Nothing here writes to the
store: ``store.ingest`` does that.
"""
