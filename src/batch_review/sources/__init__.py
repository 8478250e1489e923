"""What to review: a pull request through the API, the local branch's diff, or a whole repository."""

from .base import Collected, Skip, SourceFile

__all__ = ["Collected", "Skip", "SourceFile"]
