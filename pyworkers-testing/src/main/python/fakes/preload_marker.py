"""Imported by the daemon when named in preloadModules: records which process imported it."""
import os

_target = os.environ.get("PYWORKERS_PRELOAD_MARKER")
if _target:
    with open(_target, "a") as f:
        f.write("%d\n" % os.getpid())
