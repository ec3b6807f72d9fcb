"""Tests of the benchmarks package without running a benchmark: the report it writes, the
scenarios it selects, the figures it computes, and the package set it installs.
"""
