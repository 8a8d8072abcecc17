"""Social lägesbild: the domain package (no Streamlit here)."""

import os

# python-pptx and python-docx (the reports) bring lxml, and openpyxl switches its XML writer
# to lxml whenever lxml is importable, which changes the bytes of every .xlsx it writes (the
# demo files are byte-identical by design, and tests/test_demo.py checks it). Keep openpyxl
# on the writer it used before; set OPENPYXL_LXML=True to choose lxml anyway. Set before
# anything imports openpyxl, which reads it once.
os.environ.setdefault("OPENPYXL_LXML", "False")

__version__ = "0.2.0"
