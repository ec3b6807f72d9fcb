"""Helpers shared by the tests: wheel builders and a local package index server."""
