"""A handler module that declares its own install hint for a missing dependency."""
from pyworkers.evaltypes import MissingDependency

try:
    import pwfake_no_such_dependency  # noqa: F401
except ImportError as e:
    raise MissingDependency("pwfake_no_such_dependency", "pip install 'pwfake[extra]'") from e
