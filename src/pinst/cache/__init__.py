"""The global cache, one per filesystem: its layout and buckets, where the entries cache of each
filesystem lives, the manifest of each unpacked wheel, the registry of venvs linked to it, and
measuring, checking and removing what it holds.
"""
