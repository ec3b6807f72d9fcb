"""The ground floor: what every stage uses and that knows no stage. Errors and their advice, URLs
and their redaction, hashes, project names and versions, file systems and link modes, forking,
TOML, the fault points tests inject, the trust rule for directories other users could reach, the
bounds on untrusted input, and disk usage. Imports nothing of pinst above it.
"""
