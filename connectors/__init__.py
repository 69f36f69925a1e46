"""Platform connectors: one module per platform, registered by name (see base.py)."""
