"""Helpers shared by the test suite: real server processes, ports, service checks."""
