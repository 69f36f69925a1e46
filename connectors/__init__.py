"""The built-in connector plug-ins (Twitter/X, Reddit, YouTube) and the loopback fake platforms.

Each platform is a package registered under the entry-point group `complaint_monitor.connectors` in
pyproject.toml, the same way a third-party connector registers; the core never imports this package.
"""
