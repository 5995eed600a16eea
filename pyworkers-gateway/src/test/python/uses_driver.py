"""A user's module that imports the driver at the top and defines a function the driver then maps: cloudpickle
pickles the function by reference, so each worker imports this module, and with it pyworkers.driver."""
import pyworkers.driver  # noqa: F401  (the import under test)
from pyworkers.driver import connect  # noqa: F401


def plus_one(x):
    return x + 1


def driver_file():
    return pyworkers.driver.__file__
