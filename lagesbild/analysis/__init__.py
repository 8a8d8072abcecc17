"""Analysis: counts, rates and flags computed from stored rows, unprotected.

Nothing computed here is shown as it is: ``release`` protects it first.
"""
