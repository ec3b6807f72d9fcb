"""What the user sees on stderr: the reporter with its phases and timings, the progress bars, and
the colours. Knows nothing of the pipeline; every stage reports through it.
"""
