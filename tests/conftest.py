"""Shared pytest configuration: fixture libraries live in tests/support and are loaded here."""

pytest_plugins = ["tests.support.servers", "tests.support.sandbox"]
