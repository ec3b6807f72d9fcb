"""In-process tests of one part at a time: readers of untrusted input, the finder, downloads
against a local server, wheel choice, pacing, launchers; the property and fuzz-regression tests.
"""
