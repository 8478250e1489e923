"""batch-review: code review with Claude at scale."""

__version__ = "1.0.0"
