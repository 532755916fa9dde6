"""prober: probe Alibaba DashScope / Model Studio / Bailian endpoints and write redacted reports."""

__version__ = "0.1.0"
