"""refstack-lite: the certification submission server for OpenStack interop guidelines."""

__version__ = "0.1.0"
