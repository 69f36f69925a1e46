"""complaint-monitor: brand mentions in, one fair response queue out."""

__version__ = "0.1.0"
