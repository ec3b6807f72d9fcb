"""Reclaiming disk space: finding venvs whose installed files duplicate cached wheels, and
replacing those copies with links to the cache.
"""
