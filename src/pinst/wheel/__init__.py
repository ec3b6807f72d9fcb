"""What a wheel says and what it may do: the paths a wheel may write to, its zip container and
its RECORD (checked while it is unpacked; a venv's RECORD read and written), the errors that
refuse it, its dependencies (Requires-Dist), and the launchers made for its console scripts.
"""
