"""refstack-lite client: the wire formats shared by the client and the server."""

__version__ = "0.1.0"
