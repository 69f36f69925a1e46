"""Helpers shared by the test folders (importable as cm_testing: pytest puts tests/ on sys.path)."""
