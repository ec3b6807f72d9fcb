"""The command line: the parser, its dispatch to the commands, and shell completion."""
