"""The first stage: what the user asked for. Requirements files and their options, one requirement
line (PEP 508 and direct URLs, hashes), constraints, and PEP 751 lock files, read into pins the
rest of the pipeline installs.
"""
