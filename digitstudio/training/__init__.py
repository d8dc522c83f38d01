"""Training (model.fit with progress) and the server's training queue."""
