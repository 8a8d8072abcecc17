"""Shared test set-up: tests never touch the developer's own database."""

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Set before any test imports ui/app, so the cached Config sees it.
_TMP = Path(tempfile.mkdtemp(prefix="lagesbild-test-"))
os.environ["LAGESBILD_DB_URL"] = f"sqlite:///{_TMP / 'test.sqlite'}"
os.environ["LAGESBILD_DEMO"] = "1"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def requires_shared(test):
    """Mark a test that reads ../shared/geo (the GeoNames extract the demo is built from).

    A clone without ../shared beside it skips these; under CI, where it is present, they run.
    """
    from lagesbild.geonames import DEFAULT_PATH

    return pytest.mark.skipif(not DEFAULT_PATH.exists() and not os.environ.get("CI"),
                              reason=f"{DEFAULT_PATH} is not beside the clone")(test)
