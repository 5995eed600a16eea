"""The Python side of the test eval type PWIT_PREFIX (9000) of pyworkers-it-evaltype; bundled from its jar."""
__all__ = []
