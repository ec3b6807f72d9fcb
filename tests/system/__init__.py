"""Tests on real mounted filesystems (tmpfs, XFS, btrfs) and with a second real user: they need
root, and skip without it (CI runs as root).
"""
