"""pinst: a resolver-free wheel installer with one cache per filesystem."""

__version__ = "0.1.0"
