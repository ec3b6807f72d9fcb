"""Unpacking a downloaded wheel into the entries cache, once, checked member by member; the pool of
worker processes that does it in parallel, and byte-compiling.
"""
