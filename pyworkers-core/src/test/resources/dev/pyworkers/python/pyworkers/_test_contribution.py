"""A module that core's test classes contribute to the bundle, the way the CLI jar contributes pyworkers.jobs: the
JUnit tests prove that a worker imports it from the one extracted tree (PythonBundleUnionTest)."""

__all__ = ["tag"]


def tag(x: int) -> str:
    return "contributed-%d" % x
