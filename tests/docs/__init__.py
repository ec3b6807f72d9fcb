"""The docs held against the code: every command's help block, every link and example path,
and the examples in the guides run as written.
"""
