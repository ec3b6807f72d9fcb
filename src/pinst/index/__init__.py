"""Finding wheels: the finder that reads index pages and find-links locations, the choice of the
best wheel for an interpreter's tags, and locating a pin's file.
"""
