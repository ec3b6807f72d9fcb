"""pinst: a resolver-free wheel installer with one cache per filesystem."""

__version__ = "0.1.0"
STATE_DIR = ".pinst"  # pinst's own directory in each venv: see venv/state.py
