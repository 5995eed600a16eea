"""The scalar Arrow handlers (pyworkers-arrow; docs/protocol.md section 7) in this process: the golden files of both
directions, zero-copy reads, the result checks and the pandas coercions, the errors. The JUnit suites of
pyworkers-arrow run the same handlers in real workers, daemon and simple."""
import struct

import pytest

import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)
import pandas as pd  # noqa: E402

import arrow_golden  # noqa: E402
from arrow_golden import ARROW_GOLDEN_DIR, FrameInput, run_handler, split_frames  # noqa: E402
from pyworkers import evaltypes, protocol  # noqa: E402
from pyworkers.arrow import scalar, scalar_pandas  # noqa: E402
from pyworkers.protocol import ProtocolError  # noqa: E402
from pyworkers_testing.harness import fn_source  # noqa: E402

COMMAND = (ARROW_GOLDEN_DIR / "scalar_pandas_command.bin").read_bytes()
INPUT = split_frames((ARROW_GOLDEN_DIR / "scalar_input.bin").read_bytes())
SCHEMA = pa.schema([("x", pa.int64()), ("s", pa.string())])


def command(source, udfs, types):
    """A scalar command: udfs = [(function name, offsets)], types = the declared result types."""
    b = protocol.pack_int(len(udfs))
    for name, offsets in udfs:
        b += protocol.pack_int(len(offsets)) + b"".join(protocol.pack_int(o) for o in offsets)
        b += protocol.pack_int(1) + fn_source("<udf %s>" % name, source, name).data
    schema = pa.schema([("_%d" % i, t) for i, t in enumerate(types)]).serialize().to_pybytes()
    return b + protocol.pack_int(len(schema)) + schema


def frames_of(*batches):
    return [batches[0].schema.serialize().to_pybytes()] + [b.serialize().to_pybytes() for b in batches]


def results(output):
    """The handler's output frames as (schema, [batches])."""
    frames = split_frames(output + protocol.pack_int(-1))
    if not frames:
        return None, []
    schema = pa.ipc.read_schema(pa.py_buffer(frames[0]))
    return schema, [pa.ipc.read_record_batch(pa.py_buffer(f), schema) for f in frames[1:]]


LONGS = pa.record_batch([pa.array([1, None, 3], pa.int64())], names=["x"])


def test_goldenCommand_decodesToTheUdfsTheirOffsetsAndTheDeclaredSchema():
    cmd = scalar_pandas.HANDLER.read_command(__import__("io").BytesIO(COMMAND))
    assert [u.offsets for u in cmd.udfs] == [(0,), (1,)]
    assert [u.functions[0].name for u in cmd.udfs] == ["plus_one", "upper"]
    assert cmd.result_schema == pa.schema([("_0", pa.int64()), ("_1", pa.string())])


def test_goldenJvmInput_decodesWithPyarrow_readingTheBuffersInPlace():
    assert all(f[:4] == b"\xff\xff\xff\xff" for f in INPUT)
    inp = FrameInput(INPUT)
    schema = pa.ipc.read_schema(scalar.aligned_buffer(inp.read_frame()))
    assert schema == SCHEMA
    view = inp.read_frame()
    buf = scalar.aligned_buffer(view)
    batch = pa.ipc.read_record_batch(buf, schema)
    assert batch.to_pydict() == {"x": [1, None, 3], "s": ["a", None, "é"]}
    for column in batch.columns:
        for b in column.buffers():
            if b is not None:
                assert buf.address <= b.address < buf.address + buf.size, "pyarrow copied a buffer"
    assert pa.ipc.read_record_batch(scalar.aligned_buffer(inp.read_frame()), schema).num_rows == 0


def test_handlerOutputForTheGoldenInput_isTheGoldenWorkerOutput():
    assert arrow_golden.golden_output() == (ARROW_GOLDEN_DIR / "scalar_output.bin").read_bytes(), (
        "regenerate with python tests/make_golden_arrow.py only for a deliberate change")


def test_aFrameAtAnOddOffset_isCopiedOnceAndGivesTheSameResult_anAlignedOneIsNot():
    aligned = FrameInput(INPUT, offset=8)
    view = aligned.read_frame()
    assert scalar.aligned_buffer(view).address == pa.py_buffer(view).address
    odd = FrameInput(INPUT, offset=4).read_frame()
    assert pa.py_buffer(odd).address % 8 != 0
    assert scalar.aligned_buffer(odd).address % 8 == 0
    want = (ARROW_GOLDEN_DIR / "scalar_output.bin").read_bytes()
    assert run_handler(scalar_pandas.HANDLER, COMMAND, INPUT, offset=4) + protocol.pack_int(-1) == want


def test_noInputFrames_giveNoOutputAtAll():
    assert run_handler(scalar_pandas.HANDLER, COMMAND, []) == b""


def test_pandasIntWithNullsComingBackAsFloat64_isCastBack_andALossyResultFails():
    src = "def inc(s):\n    assert str(s.dtype) == 'float64'\n    return s + 1\n\ndef half(s):\n    return s / 2\n"
    schema, batches = results(run_handler(scalar_pandas.HANDLER, command(src, [("inc", [0])], [pa.int64()]),
                                          frames_of(LONGS)))
    assert batches[0].column(0).to_pylist() == [2, None, 4]
    with pytest.raises(scalar.ArrowResultError) as info:
        run_handler(scalar_pandas.HANDLER, command(src, [("half", [0])], [pa.int64()]), frames_of(LONGS), 3)
    assert str(info.value).startswith("UDF 1 (half) on input batch 0 of partition 3 returned values of dtype float64"
                                      " that do not convert to its declared result type int64 without loss: ")


def test_pandasDataFrameResult_andWrongLength_failNamingTheUdfAndTheBatch():
    src = "import pandas as pd\n\ndef frame(s):\n    return pd.DataFrame({'a': s})\n\ndef two(s):\n    return s[:2]\n"
    with pytest.raises(scalar.ArrowResultError, match=r"^UDF 1 \(frame\) on input batch 0 of partition 0 returned a "
                                                      r"pandas.DataFrame with 1 columns"):
        run_handler(scalar_pandas.HANDLER, command(src, [("frame", [0])], [pa.int64()]), frames_of(LONGS))
    with pytest.raises(scalar.ArrowResultError, match=r"^UDF 1 \(two\) on input batch 1 of partition 0 returned 2 "
                                                      r"values for a batch of 3 rows"):
        run_handler(scalar_pandas.HANDLER, command(src, [("two", [0])], [pa.int64()]),
                    frames_of(LONGS.slice(0, 2), LONGS))


def test_arrowUdfOfAnotherType_failsWithBothTypes_andOfTheDeclaredTypeSucceeds():
    src = "def narrow(a):\n    return a.cast('int32')\n\ndef same(a):\n    return a\n"
    with pytest.raises(scalar.ArrowResultError, match=r"returned a pyarrow.Array of type int32, but its declared "
                                                      r"result type is int64"):
        run_handler(scalar.HANDLER, command(src, [("narrow", [0])], [pa.int64()]), frames_of(LONGS))
    _, batches = results(run_handler(scalar.HANDLER, command(src, [("same", [0]), ("narrow", [0])],
                                                             [pa.int64(), pa.int32()]), frames_of(LONGS, LONGS)))
    assert [b.to_pydict() for b in batches] == [{"_0": [1, None, 3], "_1": [1, None, 3]}] * 2


def test_userException_keepsItsTypeAndMessage_andNamesTheUdfAndBatchInTheTraceback():
    src = "def boom(s):\n    if len(s) > 2:\n        raise ValueError('boom')\n    return s\n"
    with pytest.raises(ValueError) as info:
        run_handler(scalar_pandas.HANDLER, command(src, [("boom", [0])], [pa.int64()]),
                    frames_of(LONGS.slice(0, 1), LONGS), 7)
    assert str(info.value) == "boom"
    assert getattr(info.value, "__notes__", ["while running UDF 1 (boom) on input batch 1 of partition 7"]) == [
        "while running UDF 1 (boom) on input batch 1 of partition 7"]


def test_controlFrame_nullFrame_andAnOffsetPastTheColumns_areProtocolErrors():
    cmd = command("def f(s):\n    return s\n", [("f", [0])], [pa.int64()])
    with pytest.raises(ProtocolError, match="does not start with the Arrow IPC continuation marker 0xFFFFFFFF but "
                                            "with 00000001: control frames are not valid"):
        run_handler(scalar_pandas.HANDLER, cmd, [struct.pack(">i", 1)])
    with pytest.raises(ProtocolError, match=r"NULL frame \(-5\)"):
        handler_over(cmd, [None])
    with pytest.raises(ProtocolError, match=r"UDF 1 \(f\) of SQL_SCALAR_PANDAS_UDF reads column 3, but the input "
                                            r"schema has 1 columns \(x\)"):
        run_handler(scalar_pandas.HANDLER, command("def f(s):\n    return s\n", [("f", [3])], [pa.int64()]),
                    frames_of(LONGS))


def handler_over(cmd, items):
    class Inp:
        failure = None

        def __init__(self):
            self.items = list(items)

        def read_frame(self):
            return self.items.pop(0) if self.items else evaltypes.END_OF_DATA

    import io
    task = evaltypes.TaskIO(0, Inp(), io.BytesIO())
    scalar_pandas.HANDLER.load(scalar_pandas.HANDLER.read_command(io.BytesIO(cmd)), task)()


def test_resultSchemaThatIsNotAnIpcMessage_orOfTheWrongWidth_isAProtocolError():
    import io
    bad = protocol.pack_int(1) + protocol.pack_int(1) + protocol.pack_int(0) + protocol.pack_int(1)
    bad += fn_source("<f>", "def f(s):\n    return s\n", "f").data
    with pytest.raises(ProtocolError, match="does not start with the Arrow IPC continuation marker"):
        scalar.HANDLER.read_command(io.BytesIO(bad + protocol.pack_int(8) + b"\x00" * 8))
    two = pa.schema([("_0", pa.int64()), ("_1", pa.int64())]).serialize().to_pybytes()
    with pytest.raises(ProtocolError, match="has 2 fields, but there are 1 UDFs"):
        scalar.HANDLER.read_command(io.BytesIO(bad + protocol.pack_int(len(two)) + two))
