"""A preload module that prints on import (to stdout, which must not corrupt the daemon's hello)."""
import os

print("pwfake_preload_marker imported in pid %d" % os.getpid())
