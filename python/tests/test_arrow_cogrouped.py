"""The cogrouped map Arrow handlers (pyworkers-arrow; docs/protocol.md section 7.8) in this process: the golden files
of both directions, the control frames of the two sides, empty sides, the key from either side, column matching,
result batches cut at max records, and the protocol errors. CogroupedMapTest (JUnit) runs the same handlers in real
workers, daemon and simple."""
import io
import struct
import sys

import pytest

import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)
import pandas as pd  # noqa: E402

from arrow_golden import ARROW_GOLDEN_DIR, run_handler, split_frames  # noqa: E402
from pyworkers import protocol  # noqa: E402
from pyworkers.arrow import cogrouped, cogrouped_pandas, grouped  # noqa: E402
from pyworkers.arrow.scalar import ArrowResultError  # noqa: E402
from pyworkers.protocol import ProtocolError  # noqa: E402
from pyworkers_testing.harness import fn_source  # noqa: E402

COMMAND = (ARROW_GOLDEN_DIR / "cogrouped_arrow_command.bin").read_bytes()
INPUT = split_frames((ARROW_GOLDEN_DIR / "cogrouped_input.bin").read_bytes())
START, LEFT_END, END = grouped.GROUP_START, cogrouped.LEFT_END, grouped.GROUP_END


def command(source, name, schema, left_keys=(0,), right_keys=(0,), key_argument=False, by_name=True,
            max_records=10000):
    b = b""
    for keys in (left_keys, right_keys):
        b += protocol.pack_int(len(keys)) + b"".join(protocol.pack_int(k) for k in keys)
    b += protocol.pack_int(int(key_argument)) + protocol.pack_int(0 if by_name else 1)
    b += protocol.pack_int(max_records) + protocol.pack_int(1) + fn_source("<udf %s>" % name, source, name).data
    message = schema.serialize().to_pybytes()
    return b + protocol.pack_int(len(message)) + message


def lbatch(k, v):
    return pa.record_batch([pa.array(k, pa.int64()), pa.array(v, pa.float64())], names=["k", "v"])


def rbatch(ids, tags):
    return pa.record_batch([pa.array(ids, pa.int32()), pa.array(tags, pa.string())], names=["id", "tag"])


LEFT_SCHEMA, RIGHT_SCHEMA = lbatch([], []).schema, rbatch([], []).schema


def data(*cogroups):
    """Frames for cogroups of (left batches, right batches): both schemas once, then START, the left batches,
    LEFT_END, the right batches, END per cogroup."""
    frames = [LEFT_SCHEMA.serialize().to_pybytes(), RIGHT_SCHEMA.serialize().to_pybytes()]
    for i, (left, right) in enumerate(cogroups):
        frames.append(grouped.control_frame(START, i))
        frames += [b.serialize().to_pybytes() for b in left]
        frames.append(grouped.control_frame(LEFT_END, sum(b.num_rows for b in left)))
        frames += [b.serialize().to_pybytes() for b in right]
        frames.append(grouped.control_frame(END, sum(b.num_rows for b in right)))
    return frames


def results(output):
    """The output frames as [batch as a dict, or ('END', rows)], and the result schema."""
    schema, out = None, []
    for f in split_frames(output + protocol.pack_int(-1)):
        if f[:4] != b"\xff\xff\xff\xff":
            kind, rows = struct.unpack(">ii", f)
            assert kind == END
            out.append(("END", rows))
        elif schema is None:
            schema = pa.ipc.read_schema(pa.py_buffer(f))
        else:
            out.append(pa.ipc.read_record_batch(pa.py_buffer(f), schema).to_pydict())
    return schema, out


def test_goldenCommand_decodesToBothSidesKeysKeyArgumentMatchMaxRecordsAndSchema():
    cmd = cogrouped.HANDLER.read_command(io.BytesIO(COMMAND))
    assert (cmd.left_keys, cmd.right_keys, cmd.key_argument, cmd.by_name, cmd.max_records) == ((0,), (0,), True,
                                                                                              True, 2)
    assert cmd.function.name == "pair"
    assert cmd.result_schema == pa.schema([("k", pa.int64()), ("nl", pa.int64()), ("nr", pa.int64())])


def test_goldenJvmInput_isBothSchemasOnce_thenStartLeftEndAndGroupEndAroundEachCogroupWithRows():
    kinds = [struct.unpack(">ii", f) if len(f) == 8 else f[:4].hex() for f in INPUT]
    ipc = "ffffffff"
    assert kinds == [ipc, ipc, (START, 0), ipc, (LEFT_END, 2), ipc, (END, 1),
                     (START, 2), (LEFT_END, 0), ipc, ipc, (END, 3),
                     (START, 3), ipc, (LEFT_END, 1), (END, 0)]
    left, right = (pa.ipc.read_schema(pa.py_buffer(INPUT[i])) for i in (0, 1))
    assert left.names == ["k", "s", "v"] and right.names == ["id", "w", "tag"]
    assert right.field("id").type == pa.int32()
    assert pa.ipc.read_record_batch(pa.py_buffer(INPUT[9]), right).num_rows == 2  # 3 right rows cut at 2


def test_handlerOutputForTheGoldenInput_isTheGoldenWorkerOutput_keyFromTheRightWhenTheLeftIsEmpty():
    frames = split_frames((ARROW_GOLDEN_DIR / "cogrouped_input.bin").read_bytes())
    out = run_handler(cogrouped.HANDLER, COMMAND, frames)
    assert out + protocol.pack_int(-1) == (ARROW_GOLDEN_DIR / "cogrouped_output.bin").read_bytes()
    schema, got = results(out)
    assert schema.names == ["k", "nl", "nr"]
    assert got == [{"k": [1], "nl": [2], "nr": [1]}, ("END", 1), {"k": [None], "nl": [0], "nr": [3]}, ("END", 1),
                   {"k": [4], "nl": [1], "nr": [0]}, ("END", 1)]


def test_pandas_emptySideIsAnEmptyFrameWithItsColumnsAndDtypes_andTheKeyIsPythonValuesFromEitherSide():
    src = ("import pandas as pd\n\ndef dtypes(df):\n"
           "    return ','.join('%s:%s' % (c, t) for c, t in df.dtypes.items())\n"
           "\ndef f(key, left, right):\n    return pd.DataFrame({'key': [key[0]], 'left': [dtypes(left)],\n"
           "                         'right': [dtypes(right)], 'n': [len(left) * 10 + len(right)]})\n")
    schema = pa.schema([("key", pa.int64()), ("left", pa.string()), ("right", pa.string()), ("n", pa.int64())])
    out = run_handler(cogrouped_pandas.HANDLER, command(src, "f", schema, key_argument=True),
                      data(([], [rbatch([5], ["a"])]), ([lbatch([6, 6], [1.0, 2.0])], []),
                           ([lbatch([None], [1.0])], [rbatch([None], ["b"])])))
    _, got = results(out)
    tag = str(rbatch([], []).to_pandas().tag.dtype)  # pandas' string dtype: str on pandas 3, object before
    assert [g for g in got if isinstance(g, dict)] == [
        {"key": [5], "left": ["k:int64,v:float64"], "right": ["id:int32,tag:" + tag], "n": [1]},
        {"key": [6], "left": ["k:int64,v:float64"], "right": ["id:int32,tag:" + tag], "n": [20]},
        {"key": [None], "left": ["k:float64,v:float64"], "right": ["id:float64,tag:" + tag], "n": [11]}]


def test_arrow_emptySideIsAnEmptyTableOfItsSchema_keyFromTheRightIsItsScalar_andARecordBatchIsAResult():
    src = ("import pyarrow as pa\n\ndef f(key, left, right):\n"
           "    assert left.schema.names == ['k', 'v'] and right.schema.names == ['id', 'tag']\n"
           "    return pa.record_batch({'t': pa.array([str(key[0].type)]),\n"
           "                            'n': pa.array([left.num_rows], pa.int64())})\n")
    schema = pa.schema([("n", pa.int64()), ("t", pa.string())])
    out = run_handler(cogrouped.HANDLER, command(src, "f", schema, key_argument=True),
                      data(([], [rbatch([5], ["a"])]), ([lbatch([6], [1.0]), lbatch([6], [2.0])], [])))
    _, got = results(out)
    assert got == [{"n": [0], "t": ["int32"]}, ("END", 1), {"n": [2], "t": ["int64"]}, ("END", 1)]


def test_byPosition_ignoresNames_anEmptyDataFrameIsNoRows_andResultsAreCutAtMaxRecords():
    src = ("import pandas as pd\n\ndef f(left, right):\n    if len(left) == 1:\n        return pd.DataFrame()\n"
           "    return pd.DataFrame({'x': list(left.v) + [0.0] * len(right), 'y': [1] * (len(left) + len(right))})\n")
    schema = pa.schema([("v", pa.float64()), ("one", pa.int64())])
    out = run_handler(cogrouped_pandas.HANDLER, command(src, "f", schema, by_name=False, max_records=2),
                      data(([lbatch([1], [1.0])], []), ([lbatch([2, 2], [2.0, 3.0])], [rbatch([2], ["a"])])))
    _, got = results(out)
    assert got == [("END", 0), {"v": [2.0, 3.0], "one": [1, 1]}, {"v": [0.0], "one": [1]}, ("END", 3)]


def test_mismatches_failNamingTheUdfTheCogroupItsKeyAndBothSides():
    schema = pa.schema([("k", pa.int64())])
    frames = data(([], [rbatch([7], ["a"])]))
    with pytest.raises(ArrowResultError, match=r"UDF f of SQL_COGROUPED_MAP_ARROW_UDF on cogroup 0 \(key \(7\)\) of "
                       r"partition 0 returned a pyarrow.Table with columns \['id', 'tag'\], but the declared result "
                       r"schema has \['k'\] \(matched by name\): missing \['k'\], unexpected \['id', 'tag'\]"):
        run_handler(cogrouped.HANDLER, command("def f(l, r):\n    return r\n", "f", schema), frames)
    with pytest.raises(ArrowResultError, match=r"returned a dict; a SQL_COGROUPED_MAP_ARROW_UDF function returns a "
                       r"pyarrow.Table of schema \(k: int64\)"):
        run_handler(cogrouped.HANDLER, command("def f(l, r):\n    return {}\n", "f", schema), frames)
    with pytest.raises(ArrowResultError, match=r"UDF f of SQL_COGROUPED_MAP_PANDAS_UDF on cogroup 0 \(key \(7\)\) of "
                       r"partition 0 returned a Table; a SQL_COGROUPED_MAP_PANDAS_UDF function returns a "
                       r"pandas.DataFrame with columns \['k'\]"):
        run_handler(cogrouped_pandas.HANDLER, command("import pyarrow as pa\n\ndef f(l, r):\n"
                                                      "    return pa.table({'k': [1]})\n", "f", schema), frames)
    with pytest.raises(ArrowResultError, match=r"returned column 'k' of dtype float64, which does not convert to "
                       r"the declared type int64 of 'k' without loss"):
        run_handler(cogrouped_pandas.HANDLER, command("import pandas as pd\n\ndef f(l, r):\n"
                                                      "    return pd.DataFrame({'k': [0.5]})\n", "f", schema), frames)


def test_userException_keepsItsType_withTheCogroupInItsNote():
    frames = data(([lbatch([1], [1.0])], []), ([lbatch([2], [1.0])], [rbatch([2], ["x"])]))
    src = "def f(key, l, r):\n    if len(r):\n        raise KeyError('boom')\n    return l[['k']]\n"
    with pytest.raises(KeyError) as e:
        run_handler(cogrouped_pandas.HANDLER, command(src, "f", pa.schema([("k", pa.int64())]), key_argument=True),
                    frames)
    if sys.version_info >= (3, 11):  # notes
        assert e.value.__notes__ == ["while running UDF f of SQL_COGROUPED_MAP_PANDAS_UDF on cogroup 1 (key (2)) of "
                                     "partition 0"]


SCHEMAS = [LEFT_SCHEMA.serialize().to_pybytes(), RIGHT_SCHEMA.serialize().to_pybytes()]
LB, RB = lbatch([1], [1.0]).serialize().to_pybytes(), rbatch([1], ["a"]).serialize().to_pybytes()
C = grouped.control_frame


@pytest.mark.parametrize("frames, message", [
    (SCHEMAS + [LB], "a record batch of a SQL_COGROUPED_MAP_ARROW_UDF task arrived outside a cogroup"),
    (SCHEMAS + [C(START, 0), LB], "ended inside cogroup 0 \\(on its left side, no LEFT_END\\)"),
    (SCHEMAS + [C(START, 0), C(LEFT_END, 0), RB], "ended inside cogroup 0 \\(on its right side, no GROUP_END\\)"),
    (SCHEMAS + [C(9, 0)], "control frame kind 9 in a SQL_COGROUPED_MAP_ARROW_UDF task: expected 1 \\(GROUP_START\\), "
     "3 \\(LEFT_END\\) or 2 \\(GROUP_END\\)"),
    (SCHEMAS + [C(START, 0), LB, C(END, 1)], "GROUP_END of cogroup 0 of a SQL_COGROUPED_MAP_ARROW_UDF task on its "
     "left side: a cogroup is GROUP_START, the left batches, LEFT_END, the right batches, GROUP_END"),
    (SCHEMAS + [C(START, 0), C(LEFT_END, 0), C(LEFT_END, 0)], "LEFT_END of cogroup 0 .* on its right side"),
    (SCHEMAS + [C(START, 0), LB, C(LEFT_END, 2)], "LEFT_END of cogroup 0 of a SQL_COGROUPED_MAP_ARROW_UDF task says 2 "
     "rows on the left side, but 1 arrived"),
    (SCHEMAS + [C(START, 0), C(LEFT_END, 0), RB, C(END, 3)], "GROUP_END of cogroup 0 .* says 3 rows on the right "
     "side, but 1 arrived"),
    (SCHEMAS + [C(START, 4), C(LEFT_END, 0), C(END, 0)], "cogroup 4 of a SQL_COGROUPED_MAP_ARROW_UDF task has no row "
     "on either side: such a cogroup is not sent"),
    (SCHEMAS + [C(START, 0), LB, C(START, 1)], "GROUP_START of cogroup 1 in a SQL_COGROUPED_MAP_ARROW_UDF task inside "
     "cogroup 0"),
    (SCHEMAS + [C(LEFT_END, 0)], "LEFT_END in a SQL_COGROUPED_MAP_ARROW_UDF task outside a cogroup"),
    ([C(START, 0)], "data frame 0 of a SQL_COGROUPED_MAP_ARROW_UDF task is not the left input schema message"),
    (SCHEMAS[:1] + [C(START, 0)], "data frame 1 of a SQL_COGROUPED_MAP_ARROW_UDF task is not the right input schema"),
    (SCHEMAS[:1], "ended after the left input schema, without the right one"),
    ([SCHEMAS[0], pa.schema([("x", pa.int8())]).serialize().to_pybytes()], "right key column 1 of "
     "SQL_COGROUPED_MAP_ARROW_UDF is not a column of the right input schema \\(1 columns: x\\)"),
])
def test_brokenFraming_isAProtocolErrorNamingTheRule(frames, message):
    schema = pa.schema([("k", pa.int64())])
    with pytest.raises(ProtocolError, match=message):
        run_handler(cogrouped.HANDLER, command("def f(l, r):\n    return l\n", "f", schema, right_keys=(1,)),
                    frames)


def test_commandWithUnequalKeyCounts_isAProtocolError():
    with pytest.raises(ProtocolError, match="SQL_COGROUPED_MAP_PANDAS_UDF has 1 left key columns and 2 right ones"):
        cogrouped_pandas.HANDLER.read_command(io.BytesIO(command("def f(l, r):\n    return l\n", "f",
                                                                 pa.schema([("k", pa.int64())]),
                                                                 right_keys=(0, 1))))
