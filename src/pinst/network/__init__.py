"""The transport: the HTTP client with its retries and limits, the pace that keeps downloads
polite, and the download of a wheel into the cache, verified before it is published.
"""
