"""Conversation: what a comment event asks of batch-review (events.py), and the one request that answers a
person in a thread batch-review started (prompt.py). The job that ties them to GitHub is jobs/converse.py."""
