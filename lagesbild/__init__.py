"""Social lägesbild: the domain package (no Streamlit here)."""

__version__ = "0.2.0"
