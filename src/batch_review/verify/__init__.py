"""The verification pass: every new finding of a run is checked by a second request before it is posted
(stage.py), through the run's own engine as a task of its own (task.py), with the finding's enclosing
definition or its whole file (excerpt.py), several findings of a file per request (requests.py)."""

from __future__ import annotations

from .stage import EngineFor, VerifyEngine, verification_engine, verify_findings

__all__ = ["EngineFor", "VerifyEngine", "verification_engine", "verify_findings"]
