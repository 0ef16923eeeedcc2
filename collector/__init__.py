"""govpulse collector: configuration, channel registry, sources, scheduling and analytics."""

__version__ = "0.1.0"
