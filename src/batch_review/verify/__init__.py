"""The verification pass: every new finding of a run is checked by a second request before it is posted
(stage.py), through the run's own engine as a task of its own (task.py), with the finding's enclosing
definition or its whole file (excerpt.py), several findings of a file per request (requests.py) — sent as
soon as the review answer holding them is in, while other reviews still run, when the engine can (ahead.py)."""

from __future__ import annotations

from .ahead import Ahead
from .stage import EngineFor, VerifyEngine, verification_engine, verify_findings

__all__ = ["Ahead", "EngineFor", "VerifyEngine", "verification_engine", "verify_findings"]
