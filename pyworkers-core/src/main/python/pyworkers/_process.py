"""Small process-level helpers shared by the daemon and the worker. Standard library only."""
import sys

__all__ = ["flush_std_streams"]


def flush_std_streams() -> None:
    """Flush sys.stdout and sys.stderr before a process leaves through ``os._exit``, so no output is lost."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            # The stream is closed or broken; nothing can be reported through it, and the process is leaving.
            continue
