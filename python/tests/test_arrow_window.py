"""The window Arrow handlers (pyworkers-arrow; docs/protocol.md section 7.7) in this process: the golden files of
both directions, each kind of frame against plain slicing of the same rows, frames at the partition's edges, empty
frames, results cut at max records, and the errors (bounds, raising UDFs, non-scalars, lossy conversions, a broken
command). WindowAggTest (JUnit) runs the same handlers in real workers, daemon and simple."""
import struct

import pytest

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)
import pandas as pd  # noqa: E402

from arrow_golden import ARROW_GOLDEN_DIR, run_handler, split_frames  # noqa: E402
from pyworkers import protocol  # noqa: E402
from pyworkers.arrow import grouped, window, window_pandas  # noqa: E402
from pyworkers.arrow.scalar import ArrowResultError  # noqa: E402
from pyworkers.protocol import ProtocolError  # noqa: E402
from pyworkers_testing.harness import fn_source  # noqa: E402

START, END = grouped.GROUP_START, grouped.GROUP_END
UP, UF = window.UNBOUNDED_PRECEDING, window.UNBOUNDED_FOLLOWING
PANDAS = ("def total(v):\n    return v.sum(min_count=1)\n\ndef count(v):\n    return len(v)\n\n"
          "def first(v):\n    return v.iloc[0] if len(v) else None\n\n"
          "def weighted(k, v):\n    return (k.fillna(0) * v).sum()\n")
ARROW = ("import pyarrow.compute as pc\n\ndef total(v):\n    return pc.sum(v)\n\ndef count(v):\n    return len(v)\n\n"
         "def first(v):\n    return v[0] if len(v) else None\n\n"
         "def weighted(k, v):\n    return pc.sum(pc.multiply(pc.cast(pc.fill_null(k, 0), 'double'), v))\n")


def command(source, udfs, types, max_records=10000):
    """udfs = [(function name, offsets, frame)], frame () unbounded, ('rows', start, end) or ('bounds', lo, hi)."""
    b = protocol.pack_int(len(udfs))
    for name, offsets, frame in udfs:
        b += protocol.pack_int(len(offsets)) + b"".join(protocol.pack_int(o) for o in offsets)
        b += protocol.pack_int(1) + fn_source("<udf %s>" % name, source, name).data
        kind = {(): window.UNBOUNDED, "rows": window.ROWS, "bounds": window.BOUNDS}[frame[0] if frame else ()]
        b += protocol.pack_int(kind) + b"".join(protocol.pack_int(x) for x in frame[1:])
    b += protocol.pack_int(max_records)
    schema = pa.schema([("_%d" % i, t) for i, t in enumerate(types)]).serialize().to_pybytes()
    return b + protocol.pack_int(len(schema)) + schema


def data(*partitions):
    """Frames for partitions of record batches: the schema once, then START, batches, END per partition."""
    frames = [partitions[0][0].schema.serialize().to_pybytes()]
    for i, batches in enumerate(partitions):
        frames.append(grouped.control_frame(START, i))
        frames += [b.serialize().to_pybytes() for b in batches]
        frames.append(grouped.control_frame(END, sum(b.num_rows for b in batches)))
    return frames


def answers(output):
    """The output frames as a list per partition of (its result rows as dicts of columns, its GROUP_END count),
    and the sizes of the result batches."""
    frames = split_frames(output + protocol.pack_int(-1))
    schema, out, rows, sizes = None, [], [], []
    for f in frames:
        if f[:4] != b"\xff\xff\xff\xff":
            kind, n = struct.unpack(">ii", f)
            assert kind == END
            out.append((pa.Table.from_batches(rows, schema=schema).to_pydict(), n))
            rows = []
        elif schema is None:
            schema = pa.ipc.read_schema(pa.py_buffer(f))
        else:
            rows.append(pa.ipc.read_record_batch(pa.py_buffer(f), schema))
            sizes.append(rows[-1].num_rows)
    return out, sizes


def batch(k, v, lo=None, hi=None):
    arrays = [pa.array(k, pa.int64()), pa.array(v, pa.float64())]
    names = ["k", "v"]
    if lo is not None:
        arrays += [pa.array(lo, pa.int32()), pa.array(hi, pa.int32())]
        names += ["lo", "hi"]
    return pa.record_batch(arrays, names=names)


def frame_of(rows, i, frame):
    if not frame:
        return 0, rows
    _, start, end = frame
    lower = 0 if start == UP else min(max(i + start, 0), rows)
    upper = rows if end == UF else min(max(i + end + 1, 0), rows)
    return lower, upper


def expected(values, frame, fn):
    """The plain oracle: fn over a plain Python slice of the partition's values, per row."""
    return [fn(values[lo:hi]) for lo, hi in (frame_of(len(values), i, frame) for i in range(len(values)))]


def total(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) if xs else None


FRAMES = [(), ("rows", -1, 0), ("rows", UP, 0), ("rows", 0, UF), ("rows", 1, 2), ("rows", -3, -2), ("rows", -1, 1),
          ("rows", UP, UF)]


@pytest.mark.parametrize("handler,source", [(window_pandas.HANDLER, PANDAS), (window.HANDLER, ARROW)])
@pytest.mark.parametrize("frame", FRAMES)
def test_eachFrame_matchesPlainSlicing_atThePartitionsEdges_andOverBatches(handler, source, frame):
    parts = [[1.0, 3.0, None, 4.0, 10.0], [None], [2.0, 5.0]]
    frames = data([batch([1, 1], parts[0][:2]), batch([1, 1, 1], parts[0][2:])], [batch([None], parts[1])],
                  [batch([3, 3], parts[2])])
    got, _ = answers(run_handler(handler, command(source, [("total", (1,), frame), ("count", (1,), frame)],
                                                  [pa.float64(), pa.int64()]), frames))
    assert got == [({"_0": expected(p, frame, total), "_1": expected(p, frame, len)}, len(p)) for p in parts]


@pytest.mark.parametrize("handler,source", [(window_pandas.HANDLER, PANDAS), (window.HANDLER, ARROW)])
def test_callerBounds_includingEmptyFrames_matchPlainSlicing(handler, source):
    values = [1.0, 2.0, None, 8.0]
    lo, hi = [0, 0, 2, 4], [2, 0, 4, 4]
    frames = data([batch([1] * 4, values, lo, hi)])
    got, _ = answers(run_handler(handler, command(source, [("total", (1,), ("bounds", 2, 3)),
                                                           ("first", (1,), ("bounds", 2, 3))],
                                                  [pa.float64(), pa.float64()]), frames))
    assert got == [({"_0": [total(values[a:b]) for a, b in zip(lo, hi)],
                     "_1": [values[a] if b > a else None for a, b in zip(lo, hi)]}, 4)]


def test_pandasFrames_areViewsOfThePartitionsSeries_withItsIndex():
    source = "def ident(v):\n    return v.index[0] if len(v) else -1\n"
    frames = data([batch([1] * 4, [1.0, 2.0, 3.0, 4.0])])
    got, _ = answers(run_handler(window_pandas.HANDLER, command(source, [("ident", (1,), ("rows", -1, 0))],
                                                                [pa.int64()]), frames))
    assert got == [({"_0": [0, 0, 1, 2]}, 4)]
    s = pd.Series([1.0, None, 3.0], index=[5, 6, 7])
    cut = window_pandas.series_slicer()(s, 1, 3)
    assert cut.equals(s.iloc[1:3]) and list(cut.index) == [6, 7]
    assert np.shares_memory(cut.to_numpy(), s.to_numpy())


def test_unboundedAndBoundedUdfs_withSeveralArguments_inOneTask():
    frames = data([batch([1, None, 2], [1.0, 2.0, 4.0])])
    got, _ = answers(run_handler(window_pandas.HANDLER, command(PANDAS, [
        ("weighted", (0, 1), ()), ("weighted", (0, 1), ("rows", 0, 1))], [pa.float64(), pa.float64()]), frames))
    assert got == [({"_0": [9.0] * 3, "_1": [1.0, 8.0, 8.0]}, 3)]


def test_resultsLongerThanMaxRecords_areCut_andNoBatchHoldsTwoPartitions():
    frames = data([batch([1] * 5, [1.0] * 5)], [batch([2] * 3, [1.0] * 3)])
    got, sizes = answers(run_handler(window.HANDLER, command(ARROW, [("count", (1,), ())], [pa.int64()],
                                                             max_records=2), frames))
    assert sizes == [2, 2, 1, 2, 1]
    assert got == [({"_0": [5] * 5}, 5), ({"_0": [3] * 3}, 3)]


def test_pandasIntsWithNulls_castBackExactly_evenBeyond2To53():
    source = "def big(v):\n    return None if v.isna().all() else 2 ** 60 + 1\n"
    frames = data([batch([1, 1], [None, 1.0])])
    got, _ = answers(run_handler(window_pandas.HANDLER, command(source, [("big", (1,), ("rows", 0, 0))],
                                                                [pa.int64()]), frames))
    assert got == [({"_0": [None, 2 ** 60 + 1]}, 2)]
    source = "def mean(v):\n    return v.mean()\n"  # 2.0 and NaN: integral, cast back; NaN is null
    got, _ = answers(run_handler(window_pandas.HANDLER, command(source, [("mean", (1,), ("rows", 0, 0))],
                                                                [pa.int64()]), data([batch([1, 1], [None, 2.0])])))
    assert got == [({"_0": [None, 2]}, 2)]


BOUNDS_ERRORS = [
    ([0, 1], [1, 3], r"UDF 1 \(total\) of SQL_WINDOW_AGG_ARROW_UDF on window partition 0 of partition 0 has the "
     r"frame \[1, 3\) at row 1 \(bound columns 2 and 3\), but bounds must be 0 <= lower <= upper <= 2"),
    ([1, 0], [0, 1], r"frame \[1, 0\) at row 0"),
    ([-1, 0], [0, 1], r"frame \[-1, 0\) at row 0"),
    ([0, None], [1, 1], r"the lower bound column 2 \('lo'\) of UDF 1 \(total\) of SQL_WINDOW_AGG_ARROW_UDF on window "
     r"partition 0 of partition 0 is null at row 1 of the partition"),
]


@pytest.mark.parametrize("lo,hi,message", BOUNDS_ERRORS)
def test_badCallerBounds_failNamingTheUdfThePartitionTheRowAndTheRule(lo, hi, message):
    frames = data([batch([1, 1], [1.0, 2.0], lo, hi)])
    with pytest.raises(window.WindowBoundsError, match=message):
        run_handler(window.HANDLER, command(ARROW, [("total", (1,), ("bounds", 2, 3))], [pa.float64()]), frames)


def test_boundColumnsOfAnotherType_fail():
    frames = data([batch([1], [1.0])])
    with pytest.raises(window.WindowBoundsError, match=r"the lower bound column 0 \('k'\) of UDF 1 \(total\) .* is "
                       r"of type int64; window bounds are int32"):
        run_handler(window.HANDLER, command(ARROW, [("total", (1,), ("bounds", 0, 1))], [pa.float64()]), frames)


def test_aRaisingUdf_keepsItsException_withANoteNamingTheRowAndItsFrame():
    source = "def boom(v):\n    if len(v) == 2:\n        raise KeyError('two')\n    return 0.0\n"
    frames = data([batch([1] * 3, [1.0, 2.0, 3.0])], [batch([2] * 3, [1.0, 2.0, 3.0])])
    with pytest.raises(KeyError) as e:
        run_handler(window_pandas.HANDLER, command(source, [("boom", (1,), ("rows", -2, 0))], [pa.float64()]), frames,
                    partition=4)
    assert e.value.__notes__ == ["while running UDF 1 (boom) of SQL_WINDOW_AGG_PANDAS_UDF on row 1 (frame [0, 2)) of "
                                 "window partition 0 of partition 4"]
    source = "def boom(v):\n    raise KeyError('all')\n"
    with pytest.raises(KeyError) as e:
        run_handler(window.HANDLER, command(source, [("boom", (1,), ())], [pa.float64()]), frames)
    assert e.value.__notes__ == ["while running UDF 1 (boom) of SQL_WINDOW_AGG_ARROW_UDF on window partition 0 (its "
                                 "3 rows whole) of partition 0"]


RESULT_ERRORS = [
    (window_pandas.HANDLER, "def f(v):\n    return v\n", ("rows", 0, 0), pa.float64(),
     r"UDF 1 \(f\) of SQL_WINDOW_AGG_PANDAS_UDF on row 0 \(frame \[0, 1\)\) of window partition 0 of partition 0 "
     r"returned a Series; a SQL_WINDOW_AGG_PANDAS_UDF function returns one scalar of type double per frame"),
    (window_pandas.HANDLER, "def f(v):\n    return [1.0]\n", (), pa.float64(),
     r"on window partition 0 \(its 2 rows whole\) of partition 0 returned a list; a SQL_WINDOW_AGG_PANDAS_UDF"),
    (window_pandas.HANDLER, "def f(v):\n    return v.sum() / 2\n", ("rows", UP, 0), pa.int64(),
     r"UDF 1 \(f\) of SQL_WINDOW_AGG_PANDAS_UDF on row 0 \(frame \[0, 1\)\) of window partition 0 of partition 0 "
     r"returned 0.5 \(a float64\), which does not convert to its declared result type int64 without loss"),
    (window.HANDLER, "def f(v):\n    return v\n", ("rows", 0, 0), pa.float64(),
     r"on row 0 \(frame \[0, 1\)\) .* returned a DoubleArray; a SQL_WINDOW_AGG_ARROW_UDF function returns one value"),
    (window.HANDLER, "import pyarrow.compute as pc\ndef f(v):\n    return pc.sum(v)\n", ("rows", 0, 0), pa.int64(),
     r"on row 0 \(frame \[0, 1\)\) .* returned a pyarrow.Scalar of type double, but its declared result type is "
     r"int64"),
    (window.HANDLER, "def f(v):\n    return len(v) / 2\n", ("rows", 0, 0), pa.int64(),
     r"UDF 1 \(f\) of SQL_WINDOW_AGG_ARROW_UDF on row 0 \(frame \[0, 1\)\) of window partition 0 of partition 0 "
     r"returned 0.5 \(a float\), which does not convert to its declared result type int64 without loss"),
    (window.HANDLER, "def f(v):\n    return 'x' if len(v) == 2 else 1\n", ("rows", 0, 1), pa.int64(),
     r"UDF 1 \(f\) of SQL_WINDOW_AGG_ARROW_UDF on row 0 \(frame \[0, 2\)\) of window partition 0 of partition 0 "
     r"returned 'x' \(a str\), which does not convert to its declared result type int64"),
]


@pytest.mark.parametrize("handler,source,frame,declared,message", RESULT_ERRORS)
def test_aWrongResult_failsNamingTheUdfTheRowItsFrameAndBothSides(handler, source, frame, declared, message):
    frames = data([batch([1, 1], [1.0, 2.0])])
    with pytest.raises(ArrowResultError, match=message):
        run_handler(handler, command(source, [("f", (1,), frame)], [declared]), frames)


def test_aRowsFrameEndingBeforeItStarts_isAProtocolError():
    with pytest.raises(ProtocolError, match=r"the ROWS frame of UDF 1 of SQL_WINDOW_AGG_ARROW_UDF in task header "
                       r"starts at 2 and ends at 1"):
        run_handler(window.HANDLER, command(ARROW, [("total", (1,), ("rows", 2, 1))], [pa.float64()]), [])


def test_rowsBounds_clampToThePartition():
    assert window.rows_bounds(3, -1, 0) == ([0, 0, 1], [1, 2, 3])
    assert window.rows_bounds(3, 1, 5) == ([1, 2, 3], [3, 3, 3])
    assert window.rows_bounds(2, UP, UF) == ([0, 0], [2, 2])
    assert window.rows_bounds(2, -(2 ** 31) + 1, 2 ** 31 - 2) == ([0, 0], [2, 2])


GOLDEN = ["window_bounded", "window_unbounded"]


@pytest.mark.parametrize("name", GOLDEN)
def test_handlerOutputForTheGoldenInput_isTheGoldenWorkerOutput(name):
    handler = window.HANDLER if name == "window_bounded" else window_pandas.HANDLER
    command_bytes = (ARROW_GOLDEN_DIR / (name + "_command.bin")).read_bytes()
    frames = split_frames((ARROW_GOLDEN_DIR / (name + "_input.bin")).read_bytes())
    output = run_handler(handler, command_bytes, frames)
    assert output + protocol.pack_int(-1) == (ARROW_GOLDEN_DIR / (name + "_output.bin")).read_bytes()
    for offset in (0, 3):  # the same answer whatever the frames' alignment
        assert run_handler(handler, command_bytes, frames, offset=offset) == output


def test_goldenCommands_decodeToTheirFramesAndMaxRecords():
    bounded = window.read_window_command(
        __import__("io").BytesIO((ARROW_GOLDEN_DIR / "window_bounded_command.bin").read_bytes()), "x")
    assert [(u.offsets, u.kind, u.first, u.second) for u in bounded.udfs] == [((2,), window.ROWS, -1, 0)]
    assert bounded.max_records == 2 and bounded.result_schema.names == ["_0"]
    unbounded = window.read_window_command(
        __import__("io").BytesIO((ARROW_GOLDEN_DIR / "window_unbounded_command.bin").read_bytes()), "x")
    assert [(u.offsets, u.kind) for u in unbounded.udfs] == [((2,), window.UNBOUNDED)]


@pytest.mark.parametrize("handler", [window_pandas.HANDLER, window.HANDLER])
def test_anUnboundedFrame_callsTheFunctionOncePerPartition_andABoundedOneOncePerRow(handler):
    source = "CALLS = []\n\ndef f(v):\n    CALLS.append(len(v))\n    return float(len(CALLS))\n"
    frames = data([batch([1] * 3, [1.0, 2.0, 3.0])], [batch([2] * 2, [1.0, 2.0])])
    got, _ = answers(run_handler(handler, command(source, [("f", (1,), ())], [pa.float64()]), frames))
    assert got == [({"_0": [1.0] * 3}, 3), ({"_0": [2.0] * 2}, 2)]
    got, _ = answers(run_handler(handler, command(source, [("f", (1,), ("rows", 0, UF))], [pa.float64()]), frames))
    assert got == [({"_0": [1.0, 2.0, 3.0]}, 3), ({"_0": [4.0, 5.0]}, 2)]


def test_integralFloats_declaredInt_areCastBack_byBothHandlers():
    frames = data([batch([1, 1], [1.0, 2.0])])
    for handler in (window.HANDLER, window_pandas.HANDLER):
        got, _ = answers(run_handler(handler, command("def f(v):\n    return len(v) * 1.0\n",
                                                      [("f", (1,), ("rows", UP, 0))], [pa.int64()]), frames))
        assert got == [({"_0": [1, 2]}, 2)]
