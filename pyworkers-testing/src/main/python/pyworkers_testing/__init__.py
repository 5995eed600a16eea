"""Test fixtures shared by pyworkers' test suites; not part of any distribution.

``pyworkers_testing.harness`` drives real daemon and worker processes for the pytest suite in ``python/tests``; the
folder ``fakes`` beside this package holds the scriptable fake peers that the pytest and JUnit suites put on a test
Python's PYTHONPATH.
"""
__all__ = []
