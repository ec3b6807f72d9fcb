"""Settings: pinst's options with their defaults, and where each value comes from (command line,
environment, the project's and the user's config files).
"""
