"""End-to-end tests: pinst run as a user runs it (``python -m pinst``), against a real HTTP index
on 127.0.0.1, into real venvs.
"""
