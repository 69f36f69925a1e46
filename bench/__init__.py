"""Benchmarks: one module per area, each exposing `run(quick: bool) -> dict`. Run them with `python -m bench`."""
