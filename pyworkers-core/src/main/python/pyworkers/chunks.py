"""The worker's side of the Python driver's ``map`` (``docs/protocol.md`` section 9): one result chunk per input chunk.

The driver cloudpickles ``MapChunks(f)`` as a NON_UDF function with ``bytes`` records in and out. Each input record
is a chunk, a pickled list of elements; the worker answers it with one record, the pickled list of ``f(x)`` for each
element, so that the JVM can put chunks back in input order without unpickling anything. This class is pickled by
reference (the bundle has this module in every worker), and ``f`` by value or by reference, as cloudpickle chooses.
Standard library only.
"""
import pickle
from typing import Any, Callable, Iterable, Iterator

__all__ = ["MapChunks", "PICKLE_PROTOCOL"]

#: Protocol 5: every Python that runs pyworkers (3.8 and newer) reads it, and it has out-of-band-free framing that
#: is fastest for lists of small objects.
PICKLE_PROTOCOL = 5


class MapChunks:
    """``f`` applied to each element of each chunk; a chunk in, a chunk out."""

    def __init__(self, f: Callable[[Any], Any]) -> None:
        self.f = f

    def __call__(self, partition_index: int, chunks: Iterable[bytes]) -> Iterator[bytes]:
        f = self.f
        loads = pickle.loads
        dumps = pickle.dumps
        for chunk in chunks:
            yield dumps(list(map(f, loads(chunk))), PICKLE_PROTOCOL)

    def __repr__(self) -> str:
        return "MapChunks(%r)" % (self.f,)
