"""Transit: encryption as a service. Named keys stay in the store; callers send data."""

from reconciler.store.engines.transit.backend import TransitBackend

__all__ = ["TransitBackend"]
