"""Fixtures for the digest tests; the helpers live in digest_helpers.py (a unique module name)."""

from __future__ import annotations

# importlib import mode: make the helper module importable by the test modules of this folder
from cm_testing.digest import fixture_store, refused_port, smtp_server, tls_cert

__all__ = ["fixture_store", "refused_port", "smtp_server", "tls_cert"]
