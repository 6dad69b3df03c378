"""Tools some test modules need (a browser, nginx, Hugo): a module whose
tool is missing is skipped on a laptop, and stops the run where its
environment variable says those tests are required (CI sets them all)."""

from __future__ import annotations

import os

import pytest


def skip_module_unless_present(missing: str | None, required_by: str) -> None:
    """Skip the calling test module when ``missing`` names what is not here,
    or raise when ``required_by`` (an environment variable) is "1"."""
    if missing is None:
        return
    if os.environ.get(required_by) == "1":
        raise RuntimeError(f"{required_by}=1 but {missing}")
    pytest.skip(missing, allow_module_level=True)
