"""The Arrow eval types' worker side (pyworkers-arrow; ``docs/protocol.md`` section 7). Standard library only here:
pyarrow and pandas are imported by the handler modules, lazily, on the first task of their eval type."""
