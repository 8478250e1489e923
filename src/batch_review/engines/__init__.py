"""How requests reach the model: `parallel` (Messages, fan-out) or `batch` (Message Batches)."""
