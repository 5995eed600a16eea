"""The iterator Arrow handlers (pyworkers-arrow; docs/protocol.md section 7.4) in this process: mapInPandas and
mapInArrow, the scalar iterator UDFs, their checks and their laziness. The JUnit suite MapIterUdfTest runs the same
handlers in real workers, daemon and simple, against an in-process oracle."""
import pytest

import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)
import pandas as pd  # noqa: E402

from arrow_golden import FrameInput, run_handler, split_frames  # noqa: E402
from pyworkers import evaltypes, protocol  # noqa: E402
from pyworkers.arrow import iterators, iterators_pandas  # noqa: E402
from pyworkers.arrow.scalar import ArrowResultError  # noqa: E402
from pyworkers_testing.harness import fn_source  # noqa: E402

XS = pa.schema([("x", pa.int64())])


def map_command(source, name, schema):
    message = schema.serialize().to_pybytes()
    return (protocol.pack_int(1) + fn_source("<udf %s>" % name, source, name).data + protocol.pack_int(len(message))
            + message)


def iter_command(source, name, offsets, declared):
    b = protocol.pack_int(1) + protocol.pack_int(len(offsets)) + b"".join(protocol.pack_int(o) for o in offsets)
    b += protocol.pack_int(1) + fn_source("<udf %s>" % name, source, name).data
    message = pa.schema([("_0", declared)]).serialize().to_pybytes()
    return b + protocol.pack_int(len(message)) + message


def frames_of(*batches, schema=XS):
    return [schema.serialize().to_pybytes()] + [b.serialize().to_pybytes() for b in batches]


def longs(*values):
    return pa.record_batch([pa.array(list(values), pa.int64())], schema=XS)


def results(output):
    frames = split_frames(output + protocol.pack_int(-1))
    if not frames:
        return None, []
    schema = pa.ipc.read_schema(pa.py_buffer(frames[0]))
    return schema, [pa.ipc.read_record_batch(pa.py_buffer(f), schema) for f in frames[1:]]


DOUBLE_PANDAS = "def f(it):\n    for df in it:\n        yield df.assign(y=df.x * 2)\n"
XY = pa.schema([("x", pa.int64()), ("y", pa.int64())])


def test_mapInPandas_yieldsOneFramePerBatch_withTheDeclaredSchema_andNullsCastBack():
    out = run_handler(iterators_pandas.MAP_PANDAS, map_command(DOUBLE_PANDAS, "f", XY),
                      frames_of(longs(1, None, 3), longs(), longs(4)))
    schema, batches = results(out)
    assert schema == XY
    assert [b.to_pydict() for b in batches] == [
        {"x": [1, None, 3], "y": [2, None, 6]}, {"x": [], "y": []}, {"x": [4], "y": [8]}]


def test_mapInPandas_columnsAreMatchedByName_notPosition():
    src = "def f(it):\n    for df in it:\n        yield df.assign(y=df.x * 2)[['y', 'x']]\n"
    _, batches = results(run_handler(iterators_pandas.MAP_PANDAS, map_command(src, "f", XY), frames_of(longs(5))))
    assert batches[0].to_pydict() == {"x": [5], "y": [10]}


def test_aFunctionThatYieldsNothing_writesNoFrame_notEvenTheSchema():
    src = "def f(it):\n    for _ in it:\n        pass\n    return iter(())\n"
    assert run_handler(iterators_pandas.MAP_PANDAS, map_command(src, "f", XY), frames_of(longs(1), longs(2))) == b""
    assert run_handler(iterators.MAP_ARROW, map_command(src, "f", XS), frames_of(longs(1))) == b""


def test_mapInArrow_mayYieldMoreRowsThanItGot_andBatchesOfAnySize():
    src = ("import pyarrow as pa\n\ndef f(it):\n    for b in it:\n        for _ in range(3):\n            yield b\n"
           "    yield pa.record_batch([pa.array([7, 8], pa.int64())], names=['x'])\n")
    _, batches = results(run_handler(iterators.MAP_ARROW, map_command(src, "f", XS), frames_of(longs(1, 2))))
    assert [b.column(0).to_pylist() for b in batches] == [[1, 2], [1, 2], [1, 2], [7, 8]]


def test_extraOrMissingPandasColumns_failNamingTheUdfTheBatchAndBothSides():
    src = "def f(it):\n    for df in it:\n        yield df.assign(z=1)\n"
    with pytest.raises(ArrowResultError) as e:
        run_handler(iterators_pandas.MAP_PANDAS, map_command(src, "f", XY), frames_of(longs(1)), partition=3)
    assert ("the UDF (f) of SQL_MAP_PANDAS_ITER_UDF at result batch 0 of partition 3 (after input batch 0) yielded "
            "a DataFrame with columns ['x', 'z'], but the declared result schema is (x: int64, y: int64): missing "
            "['y'], unexpected ['z']") in str(e.value)


def test_anArrowBatchOfAnotherType_failsListingBothSchemas():
    src = "def f(it):\n    for b in it:\n        yield b.cast(b.schema.set(0, b.schema.field(0).with_type(__import__('pyarrow').int32())))\n"
    with pytest.raises(ArrowResultError, match=r"yielded a batch of schema \(x: int32\), but the declared result "
                                               r"schema is \(x: int64\)"):
        run_handler(iterators.MAP_ARROW, map_command(src, "f", XS), frames_of(longs(1)))


def test_aFunctionThatIsNotAGenerator_failsNamingWhatItReturned():
    src = "def f(it):\n    return 3\n"
    with pytest.raises(ArrowResultError, match="returned a int; it must return an iterator of pandas.DataFrame"):
        run_handler(iterators_pandas.MAP_PANDAS, map_command(src, "f", XS), frames_of(longs(1)))


class CountingInput(FrameInput):
    """Counts the frames read, so a test can see when the function got each batch."""

    def __init__(self, frames):
        super().__init__(frames)
        self.reads = 0

    def read_frame(self):
        self.reads += 1
        return super().read_frame()


def test_theInputIsReadLazily_oneBatchPerResult_neverThePartitionFirst():
    frames = frames_of(*[longs(i) for i in range(50)])
    inp = CountingInput(frames)
    seen = []

    class Out:
        def write(self, data):
            seen.append(inp.reads)

        def flush(self):
            pass

    cmd = iterators.MAP_ARROW.read_command(__import__("io").BytesIO(map_command(
        "def f(it):\n    for b in it:\n        yield b\n", "f", XS)))
    iterators.MAP_ARROW.load(cmd, evaltypes.TaskIO(0, inp, Out()))()
    # schema frame + batch 0 read before result 0's two writes (schema, batch); then one read per result
    writes = [r for r in seen]
    assert writes[0] == 2 and max(writes[-3:]) <= 51, writes[:6]
    assert all(b - a <= 1 for a, b in zip(writes, writes[1:]))


def test_batchesKeptPastTheNextRead_keepTheirValues():
    src = ("import pyarrow as pa\n\ndef f(it):\n    kept = list(it)\n"
           "    yield pa.concat_tables([pa.Table.from_batches([b]) for b in kept]).combine_chunks().to_batches()[0]\n")
    frames = frames_of(*[longs(i, i + 1) for i in range(0, 20, 2)])
    _, batches = results(run_handler(iterators.MAP_ARROW, map_command(src, "f", XS), frames, offset=3))
    assert batches[0].column(0).to_pylist() == list(range(20))


def test_scalarPandasIter_returnsOneResultPerYield_withTheRowsOfTheInput():
    src = "def f(it):\n    for s in it:\n        yield s + 1\n"
    _, batches = results(run_handler(iterators_pandas.SCALAR_PANDAS_ITER, iter_command(src, "f", [0], pa.int64()),
                                     frames_of(longs(1, None), longs(3))))
    assert [b.to_pydict() for b in batches] == [{"_0": [2, None]}, {"_0": [4]}]


def test_scalarArrowIter_severalArguments_comeAsATuple_andResultsMayRegroupRows():
    schema = pa.schema([("a", pa.int64()), ("b", pa.int64())])
    src = ("import pyarrow as pa, pyarrow.compute as pc\n\ndef f(it):\n    parts = []\n    for a, b in it:\n"
           "        parts.append(pc.add(a, b))\n    yield pa.concat_arrays(parts)\n")
    batch = pa.record_batch([pa.array([1, 2]), pa.array([10, 20])], schema=schema)
    _, batches = results(run_handler(iterators.SCALAR_ARROW_ITER, iter_command(src, "f", [0, 1], pa.int64()),
                                     frames_of(batch, batch, schema=schema)))
    assert [b.column(0).to_pylist() for b in batches] == [[11, 22, 11, 22]]


def test_scalarIter_moreRowsThanRead_failsAtOnce():
    src = "def f(it):\n    for s in it:\n        yield s\n        yield s\n"
    with pytest.raises(ArrowResultError, match=r"returned 4 rows in total so far, more than the 2 rows of the 1 "
                                               r"input batches it has read"):
        run_handler(iterators_pandas.SCALAR_PANDAS_ITER, iter_command(src, "f", [0], pa.int64()),
                    frames_of(longs(1, 2), longs(3, 4)))


def test_scalarIter_inputNotFullyConsumed_fails():
    src = "def f(it):\n    yield next(it)\n"
    with pytest.raises(ArrowResultError, match=r"stopped after reading 1 of its input batches: an iterator UDF must "
                                               r"consume its whole input"):
        run_handler(iterators.SCALAR_ARROW_ITER, iter_command(src, "f", [0], pa.int64()),
                    frames_of(longs(1), longs(2)))


def test_scalarIter_fewerRowsThanInput_fails():
    src = "def f(it):\n    for s in it:\n        yield s[:1]\n"
    with pytest.raises(ArrowResultError, match=r"returned 2 rows for 3 input rows"):
        run_handler(iterators.SCALAR_ARROW_ITER, iter_command(src, "f", [0], pa.int64()),
                    frames_of(longs(1, 2), longs(3)))


def test_anExceptionInTheFunction_keepsItsTypeAndNamesWhereItHappened():
    src = "def f(it):\n    for df in it:\n        if df.x.iloc[0] > 1:\n            raise ValueError('big')\n        yield df\n"
    with pytest.raises(ValueError, match="big") as e:
        run_handler(iterators_pandas.MAP_PANDAS, map_command(src, "f", XS), frames_of(longs(1), longs(2)))
    if hasattr(e.value, "__notes__"):
        assert e.value.__notes__ == ["while running the UDF (f) of SQL_MAP_PANDAS_ITER_UDF at result batch 1 of "
                                     "partition 0 (after input batch 1)"]


def test_aChainOfTwoFunctions_isAProtocolError():
    one = fn_source("<f>", DOUBLE_PANDAS, "f").data
    message = XS.serialize().to_pybytes()
    cmd = protocol.pack_int(2) + one + one + protocol.pack_int(len(message)) + message
    with pytest.raises(protocol.ProtocolError, match="chains 2 functions; an iterator UDF is one function"):
        iterators_pandas.MAP_PANDAS.read_command(__import__("io").BytesIO(cmd))
