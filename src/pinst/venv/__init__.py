"""The target: a venv and its interpreter (probed once, its facts and tags cached), what the venv
holds, pinst's state in it, and the stamp that answers a repeated install early.
"""
