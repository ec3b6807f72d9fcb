"""The install pipeline: requirements -> plan -> prepare (find, download, unpack) -> materialise
(link each file into the venv) -> one transaction that records it. Also uninstalling, repair,
the dependency check, the dry run and the JSON report.
"""
