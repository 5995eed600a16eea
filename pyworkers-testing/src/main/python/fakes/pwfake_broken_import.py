"""Imports a module that does not exist: a function reference into it must say which import is missing."""
import pwfake_no_such_dependency  # noqa: F401


def f(x):
    return x
