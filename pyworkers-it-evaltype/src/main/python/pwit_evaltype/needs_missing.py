"""A PWIT_PREFIX handler whose dependency is not installed: importing it raises MissingDependency with its hint,
which must fail only the task that uses it."""
from pyworkers.evaltypes import MissingDependency

try:
    import pwit_absent_dependency  # noqa: F401  (no such package exists)
except ImportError as e:
    raise MissingDependency("pwit_absent_dependency", "pip install pwit-absent-dependency") from e

HANDLER = None
