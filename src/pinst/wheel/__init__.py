"""What a wheel says and what it may do: the paths a wheel may write to, its dependencies
(Requires-Dist), and the launchers made for its console scripts.
"""
