"""The worker's side of the Python driver's ``map`` (``docs/protocol.md`` section 9): one result chunk per input chunk.

The driver cloudpickles ``MapChunks(f)`` as a NON_UDF function with ``bytes`` records in and out. Each input record
is a chunk, a pickled list of elements; the worker answers it with one record, the pickled list of ``f(x)`` for each
element, so that the JVM can put chunks back in input order without unpickling anything. This class is pickled by
reference (the bundle has this module in every worker), and ``f`` by value or by reference, as cloudpickle chooses.
Standard library only.
"""
import pickle
from typing import Any, Callable, Iterable, Iterator

__all__ = ["MapChunks", "MapFrameChunks", "PICKLE_PROTOCOL"]

#: Protocol 5: every Python that runs pyworkers (3.8 and newer) reads it, and it has out-of-band-free framing that
#: is fastest for lists of small objects.
PICKLE_PROTOCOL = 5


class MapChunks:
    """``f`` applied to each element of each chunk; a chunk in, a chunk out."""

    #: Read by the NON_UDF handler: each result chunk is flushed to the JVM as soon as it is written.
    flush_each_record = True

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


class MapFrameChunks:
    """The worker's side of the driver's ``map_in_pandas``: each chunk is an Arrow IPC stream of one record batch;
    ``f`` gets it as a pandas DataFrame (or, with ``arrow=True``, a ``pyarrow.Table``) and returns a DataFrame (or
    Table) with any number of rows, which goes back as an IPC stream. pyarrow (and pandas) are imported on the first
    chunk, with an install hint when missing."""

    flush_each_record = True

    def __init__(self, f: Callable[[Any], Any], arrow: bool) -> None:
        self.f = f
        self.arrow = arrow

    def __call__(self, partition_index: int, chunks: Iterable[bytes]) -> Iterator[bytes]:
        try:
            import pyarrow as pa
        except ImportError as e:
            raise ImportError("map_in_pandas needs pyarrow (and pandas) in the workers' Python: pip install pyarrow "
                              "pandas (%s)" % (e,)) from e
        f = self.f
        for chunk in chunks:
            table = pa.ipc.open_stream(pa.py_buffer(chunk)).read_all()
            result = f(table if self.arrow else table.to_pandas())
            if isinstance(result, pa.RecordBatch):
                result = pa.Table.from_batches([result])
            elif not isinstance(result, pa.Table):
                if not (hasattr(result, "columns") and hasattr(result, "dtypes")):
                    raise TypeError("the function of map_in_pandas must return a %s, got %s"
                                    % ("pyarrow.Table" if self.arrow else "pandas.DataFrame", type(result).__name__))
                result = pa.Table.from_pandas(result, preserve_index=False)
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, result.schema) as writer:
                writer.write_table(result)
            yield sink.getvalue().to_pybytes()

    def __repr__(self) -> str:
        return "MapFrameChunks(%r, arrow=%r)" % (self.f, self.arrow)
