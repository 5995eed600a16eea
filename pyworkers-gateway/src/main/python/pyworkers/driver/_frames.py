"""``Gateway.map_in_pandas``: a function over a pandas DataFrame or a pyarrow Table, in slices, on the workers.

The frame is cut into record batches of ``chunk_rows`` rows; each goes as an Arrow IPC stream through the map job's
data socket (``docs/protocol.md`` 9.3), the workers run ``MapFrameChunks``, and the results come back as IPC streams
in input order. The results must all have the same schema; the first one's is the result's.
"""
from typing import Any, Callable, Iterator, Optional

import cloudpickle

from pyworkers.chunks import PICKLE_PROTOCOL, MapFrameChunks

from . import _map
from .errors import DriverError


def run(gateway, f: Callable[[Any], Any], frame, partitions: int, chunk_rows: int, python: str, includes):
    try:
        import pyarrow as pa
    except ImportError as e:
        raise ImportError("map_in_pandas needs pyarrow and pandas: pip install pyarrow pandas (%s)" % (e,)) from e
    if isinstance(frame, pa.Table):
        table, arrow = frame, True
    elif hasattr(frame, "columns") and hasattr(frame, "dtypes"):
        table, arrow = pa.Table.from_pandas(frame, preserve_index=False), False
    else:
        raise TypeError("map_in_pandas needs a pandas DataFrame or a pyarrow Table, got %s" % type(frame).__name__)
    function = cloudpickle.dumps(MapFrameChunks(f, arrow), protocol=PICKLE_PROTOCOL)

    def chunks() -> Iterator[bytes]:
        for batch in table.to_batches(max_chunksize=chunk_rows):
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, batch.schema) as writer:
                writer.write_batch(batch)
            yield sink.getvalue().to_pybytes()

    def tables(frames) -> Iterator[Any]:
        for body in frames:
            yield pa.ipc.open_stream(pa.py_buffer(bytes(body))).read_all()

    results = _map.run_chunks(gateway, function, chunks(), partitions, chunk_rows, python, includes, tables)
    parts = []
    schema: Optional[Any] = None
    with results:
        for i, part in enumerate(results):
            if schema is None:
                schema = part.schema
            elif not part.schema.equals(schema):
                raise DriverError(
                    "map_in_pandas: the result of rows %d to %d has schema %s, but the first result's is %s; return "
                    "the same columns and types for every slice" % (i * chunk_rows, (i + 1) * chunk_rows - 1,
                                                                    part.schema, schema))
            parts.append(part)
    if not parts:
        out = pa.Table.from_batches([], schema=table.schema)
    else:
        out = pa.concat_tables(parts)
    return out if arrow else out.to_pandas()
