"""The `pinst cache` commands: info, clean, prune and verify."""
