"""The foundation's transparency log on the server: storing it, recording events in it, serving it."""
