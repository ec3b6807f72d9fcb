"""Finding wheels: where to look (``sources``), a project's files on indexes and find-links
locations (``finder``, reading pages with ``pages``, ``find_links`` and ``page_cache``), which
wheels an interpreter can run (``tags``), and the one wheel for a pin (``choice``).
"""
