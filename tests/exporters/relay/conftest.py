"""Loads the sandbox fixtures until tests/conftest.py lists tests.support.sandbox in pytest_plugins."""

from tests.support.sandbox import sandbox, sandbox_factory

__all__ = ["sandbox", "sandbox_factory"]
