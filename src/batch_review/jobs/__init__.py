"""Jobs: what to collect, which engine, which sinks — one builder per kind of run (review, sweep, eval).

The front doors (`action.py` for the runner, `cli.py` for the terminal) read their inputs and call a
builder here; a job never imports a front door. `pipeline.run(job)` does the rest.
"""
