"""The grouped map Arrow handlers (pyworkers-arrow; docs/protocol.md section 7.5) in this process: the golden files
of both directions, the control frames, column matching, the key argument, result batches cut at max records, and
the protocol errors. GroupedMapTest (JUnit) runs the same handlers in real workers, daemon and simple."""
import io
import struct

import pytest

import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)
import pandas as pd  # noqa: E402

import arrow_golden  # noqa: E402
from arrow_golden import ARROW_GOLDEN_DIR, run_handler, split_frames  # noqa: E402
from pyworkers import protocol  # noqa: E402
from pyworkers.arrow import grouped, grouped_pandas  # noqa: E402
from pyworkers.arrow.scalar import ArrowResultError  # noqa: E402
from pyworkers.protocol import ProtocolError  # noqa: E402
from pyworkers_testing.harness import fn_source  # noqa: E402

COMMAND = (ARROW_GOLDEN_DIR / "grouped_arrow_command.bin").read_bytes()
INPUT = split_frames((ARROW_GOLDEN_DIR / "grouped_input.bin").read_bytes())
START, END = grouped.GROUP_START, grouped.GROUP_END


def command(source, name, schema, keys=(0,), key_argument=False, by_name=True, max_records=10000):
    b = protocol.pack_int(len(keys)) + b"".join(protocol.pack_int(k) for k in keys)
    b += protocol.pack_int(int(key_argument)) + protocol.pack_int(0 if by_name else 1)
    b += protocol.pack_int(max_records) + protocol.pack_int(1) + fn_source("<udf %s>" % name, source, name).data
    message = schema.serialize().to_pybytes()
    return b + protocol.pack_int(len(message)) + message


def data(*groups):
    """Frames for groups of record batches: the schema once, then START, batches, END per group."""
    frames = [groups[0][0].schema.serialize().to_pybytes()]
    for i, batches in enumerate(groups):
        frames.append(grouped.control_frame(START, i))
        frames += [b.serialize().to_pybytes() for b in batches]
        frames.append(grouped.control_frame(END, sum(b.num_rows for b in batches)))
    return frames


def results(output):
    """The output frames as (schema, [batch or ('END', rows)])."""
    frames = split_frames(output + protocol.pack_int(-1))
    schema, out = None, []
    for f in frames:
        if f[:4] != b"\xff\xff\xff\xff":
            kind, rows = struct.unpack(">ii", f)
            assert kind == END
            out.append(("END", rows))
        elif schema is None:
            schema = pa.ipc.read_schema(pa.py_buffer(f))
        else:
            out.append(pa.ipc.read_record_batch(pa.py_buffer(f), schema))
    return schema, out


def batch(k, v):
    return pa.record_batch([pa.array(k, pa.int64()), pa.array(v, pa.float64())], names=["k", "v"])


def test_goldenCommand_decodesToKeysKeyArgumentMatchMaxRecordsAndSchema():
    cmd = grouped.HANDLER.read_command(io.BytesIO(COMMAND))
    assert (cmd.key_columns, cmd.key_argument, cmd.by_name, cmd.max_records) == ((0,), True, True, 2)
    assert cmd.function.name == "first"
    assert cmd.result_schema == pa.schema([("k", pa.int64())])


def test_goldenJvmInput_isTheSchemaOnce_thenControlFramesAroundEachGroupWithRows():
    kinds = [struct.unpack(">ii", f) if len(f) == 8 else f[:4].hex() for f in INPUT]
    assert kinds == ["ffffffff", (START, 0), "ffffffff", (END, 2), (START, 2), "ffffffff", "ffffffff", "ffffffff",
                     (END, 4)]
    schema = pa.ipc.read_schema(pa.py_buffer(INPUT[0]))
    assert schema.names == ["k", "s", "v"]
    assert pa.ipc.read_record_batch(pa.py_buffer(INPUT[6]), schema).num_rows == 2  # batch 2 cut at 2 rows


def test_handlerOutputForTheGoldenInput_isTheGoldenWorkerOutput():
    assert arrow_golden.grouped_golden_output() == (ARROW_GOLDEN_DIR / "grouped_output.bin").read_bytes()
    schema, out = results(arrow_golden.grouped_golden_output()[:-4])
    assert schema == pa.schema([("k", pa.int64())])
    assert [o if isinstance(o, tuple) else o.to_pydict() for o in out] == [
        {"k": [1]}, ("END", 1), {"k": [None]}, ("END", 1)]


def test_pandas_keyArgumentIsPythonValues_nullKeyIsNone_andIntsWithNullsAreCastBack():
    src = "def f(key, pdf):\n    pdf = pdf.copy()\n    pdf['v'] = pdf.v + (0 if key[0] is None else key[0])\n" \
          "    return pdf\n"
    schema = pa.schema([("k", pa.int64()), ("v", pa.float64())])
    out = run_handler(grouped_pandas.HANDLER, command(src, "f", schema, key_argument=True),
                      data([batch([None, None], [1.0, 2.0])], [batch([3], [1.0]), batch([3], [2.0])]))
    _, got = results(out)
    assert [o if isinstance(o, tuple) else o.to_pydict() for o in got] == [
        {"k": [None, None], "v": [1.0, 2.0]}, ("END", 2), {"k": [3, 3], "v": [4.0, 5.0]}, ("END", 2)]


def test_byPosition_ignoresNames_andAnEmptyDataFrameIsNoRows_withItsGroupEnd():
    src = "import pandas as pd\n\ndef f(pdf):\n    if len(pdf) == 1:\n        return pd.DataFrame()\n" \
          "    return pd.DataFrame({'x': pdf.v, 'y': pdf.k})\n"
    schema = pa.schema([("v", pa.float64()), ("k", pa.int64())])
    out = run_handler(grouped_pandas.HANDLER, command(src, "f", schema, by_name=False),
                      data([batch([1], [1.0])], [batch([2, 2], [2.0, 3.0])]))
    _, got = results(out)
    assert [o if isinstance(o, tuple) else o.to_pydict() for o in got] == [
        ("END", 0), {"v": [2.0, 3.0], "k": [2, 2]}, ("END", 2)]


def test_resultLongerThanMaxRecords_isCutIntoBatches():
    src = "import pyarrow as pa\n\ndef f(t):\n    return pa.concat_tables([t] * 5).combine_chunks()\n"
    schema = pa.schema([("k", pa.int64()), ("v", pa.float64())])
    out = run_handler(grouped.HANDLER, command(src, "f", schema, max_records=3), data([batch([1, 1], [1.0, 2.0])]))
    _, got = results(out)
    assert [o if isinstance(o, tuple) else o.num_rows for o in got] == [3, 3, 3, 1, ("END", 10)]


def test_mismatches_failNamingTheUdfTheGroupItsKeyAndBothSides():
    schema = pa.schema([("k", pa.int64())])
    frames = data([batch([7], [1.0])])
    with pytest.raises(ArrowResultError, match=r"UDF f of SQL_GROUPED_MAP_ARROW_UDF on group 0 \(key \(7\)\) of "
                       r"partition 0 returned a pyarrow.Table with columns \['k', 'v'\], but the declared result "
                       r"schema has \['k'\] \(matched by name\): missing \[\], unexpected \['v'\]"):
        run_handler(grouped.HANDLER, command("def f(t):\n    return t\n", "f", schema), frames)
    with pytest.raises(ArrowResultError, match=r"returned a pyarrow.Table with 2 columns \['k', 'v'\], but the "
                       r"declared result schema has 1 \['k'\] \(matched by position\)"):
        run_handler(grouped.HANDLER, command("def f(t):\n    return t\n", "f", schema, by_name=False), frames)
    with pytest.raises(ArrowResultError, match=r"returned a dict; a SQL_GROUPED_MAP_ARROW_UDF function returns a "
                       r"pyarrow.Table of schema \(k: int64\)"):
        run_handler(grouped.HANDLER, command("def f(t):\n    return {}\n", "f", schema), frames)


@pytest.mark.parametrize("frames, message", [
    ([batch([1], [1.0]).schema.serialize().to_pybytes(), batch([1], [1.0]).serialize().to_pybytes()],
     "a record batch of a SQL_GROUPED_MAP_ARROW_UDF task arrived outside a group"),
    ([batch([1], [1.0]).schema.serialize().to_pybytes(), grouped.control_frame(START, 0)],
     "ended inside group 0 \\(no GROUP_END\\)"),
    ([batch([1], [1.0]).schema.serialize().to_pybytes(), grouped.control_frame(9, 0)],
     "control frame kind 9 in a SQL_GROUPED_MAP_ARROW_UDF task: expected 1 \\(GROUP_START\\) or 2 \\(GROUP_END\\)"),
    ([batch([1], [1.0]).schema.serialize().to_pybytes(), grouped.control_frame(START, 0),
      batch([1], [1.0]).serialize().to_pybytes(), grouped.control_frame(END, 3)],
     "GROUP_END of group 0 of a SQL_GROUPED_MAP_ARROW_UDF task says 3 rows, but 1 arrived"),
    ([grouped.control_frame(START, 0)], "the first data frame of a SQL_GROUPED_MAP_ARROW_UDF task is not the input"
     " schema message"),
])
def test_brokenFraming_isAProtocolErrorNamingTheRule(frames, message):
    schema = pa.schema([("k", pa.int64())])
    with pytest.raises(ProtocolError, match=message):
        run_handler(grouped.HANDLER, command("def f(t):\n    return t\n", "f", schema), frames)


def agg_command(source, udfs, types):
    """A grouped aggregate command (the scalar one): udfs = [(function name, offsets)]."""
    b = protocol.pack_int(len(udfs))
    for name, offsets in udfs:
        b += protocol.pack_int(len(offsets)) + b"".join(protocol.pack_int(o) for o in offsets)
        b += protocol.pack_int(1) + fn_source("<udf %s>" % name, source, name).data
    schema = pa.schema([("_%d" % i, t) for i, t in enumerate(types)]).serialize().to_pybytes()
    return b + protocol.pack_int(len(schema)) + schema


def test_groupedAgg_answersEachGroupWithOneRow_pandasAndArrow():
    from pyworkers.arrow import grouped_agg, grouped_agg_pandas
    frames = data([batch([1, 1], [1.0, 3.0])], [batch([2], [None]), batch([2], [5.0])])
    pandas_src = "def mean(v):\n    return v.mean()\n\ndef n(k):\n    return float(len(k))\n"
    _, got = results(run_handler(grouped_agg_pandas.HANDLER, agg_command(
        pandas_src, [("mean", (1,)), ("n", (0,))], [pa.float64(), pa.int64()]), frames))
    assert [o if isinstance(o, tuple) else o.to_pydict() for o in got] == [
        {"_0": [2.0], "_1": [2]}, ("END", 1), {"_0": [5.0], "_1": [2]}, ("END", 1)]
    arrow_src = "import pyarrow.compute as pc\n\ndef mean(v):\n    return pc.mean(v)\n"
    _, got = results(run_handler(grouped_agg.HANDLER, agg_command(arrow_src, [("mean", (1,))], [pa.float64()]),
                                 frames))
    assert [o if isinstance(o, tuple) else o.to_pydict() for o in got] == [
        {"_0": [2.0]}, ("END", 1), {"_0": [5.0]}, ("END", 1)]


def test_groupedAgg_lossyOrWronglyTypedValue_failsNamingTheUdfTheGroupAndBothTypes():
    from pyworkers.arrow import grouped_agg, grouped_agg_pandas
    frames = data([batch([1, 1], [1.0, 2.0])])
    with pytest.raises(ArrowResultError, match=r"UDF 1 \(mean\) of SQL_GROUPED_AGG_PANDAS_UDF on group 0 of "
                       r"partition 0 returned 1.5 \(a float64\), which does not convert to its declared result type "
                       r"int64 without loss"):
        run_handler(grouped_agg_pandas.HANDLER, agg_command("def mean(v):\n    return v.mean()\n",
                                                            [("mean", (1,))], [pa.int64()]), frames)
    with pytest.raises(ArrowResultError, match=r"UDF 1 \(mean\) of SQL_GROUPED_AGG_ARROW_UDF on group 0 of "
                       r"partition 0 returned a pyarrow.Scalar of type double, but its declared result type is int64"):
        run_handler(grouped_agg.HANDLER, agg_command("import pyarrow.compute as pc\n\ndef mean(v):\n"
                                                     "    return pc.mean(v)\n", [("mean", (1,))], [pa.int64()]),
                    frames)
