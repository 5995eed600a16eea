"""pyworkers: the Python side of the pyworkers JVM library.

One import package, two parts (docs/architecture.md, "Python packages"). The worker runtime (``daemon``, ``worker``,
``task``, ``protocol``, ``serializers``, ``functions``, ``context``, ``auth`` and the private modules) is bundled in
the core jar and put first on a worker's PYTHONPATH; it is never pip-installed. The pip distribution ``pyworkers``
is the driver's (``pyworkers.driver``), which holds the same runtime beside it.

The JVM starts ``python -m pyworkers.daemon`` (pooled, forked workers) or ``python -m pyworkers.worker`` (one simple
worker per process) and talks to them over the binary protocol of ``docs/protocol.md``. User functions running in
workers import :mod:`pyworkers.context`.

Importing this package never exits and imports nothing: it is imported first by the entry modules on every
interpreter, also one too old to run them, so it must stay parseable by every Python from 2.7 on (no f-strings, no
annotations, no keyword-only arguments). The driver's ``connect`` is reached lazily, through the module
``__getattr__`` below, so that workers never import py4j or cloudpickle through it; where the driver is missing
(a bundle without the gateway's jar), ``pyworkers.connect`` raises an ImportError saying so.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"


def __getattr__(name):
    # PEP 562 (Python 3.7+); on older interpreters this is just an unused function.
    if name == "connect":
        try:
            from pyworkers.driver import connect
        except ImportError as e:
            raise ImportError(
                "pyworkers.connect needs the pyworkers driver (pip install ./pyworkers-gateway from a checkout, "
                "see README.md, 'Python driver'); this interpreter found only the worker runtime: %s" % (e,)
            )
        return connect
    raise AttributeError("module 'pyworkers' has no attribute %r" % (name,))
