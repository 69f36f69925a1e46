"""Fixtures for the digest tests; the helpers live in digest_helpers.py (a unique module name)."""

from __future__ import annotations

import sys
from pathlib import Path

# importlib import mode: make the helper module importable by the test modules of this folder
sys.path.insert(0, str(Path(__file__).parent))

from digest_helpers import fixture_store, refused_port, smtp_server, tls_cert

__all__ = ["fixture_store", "refused_port", "smtp_server", "tls_cert"]
