"""Fuzzing pinst's readers of untrusted input (see ``targets.py``); ``nox -s fuzz`` runs them."""
