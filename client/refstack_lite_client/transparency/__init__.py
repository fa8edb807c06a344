"""The transparency log's pure parts, shared by the server (which keeps the log) and the client
(which verifies certificates offline against it)."""
