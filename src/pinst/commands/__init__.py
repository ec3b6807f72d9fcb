"""The commands other than install and reclaim's pipeline: each turns its parsed arguments into
calls to the stages below and says what it did.
"""
