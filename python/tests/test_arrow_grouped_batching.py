"""applyInPandas (201) handles groups that arrive back to back together (one to_pandas, one conversion back): the
function sees exactly what its group alone would give, results and errors are those of one group at a time, and the
worker never waits for input with finished groups unanswered. In this process, through the real handler."""
import io

import pytest

import pyarrow as pa  # noqa: E402  (python/requirements-test.txt installs it; missing, these tests fail)
import pandas as pd  # noqa: E402

from arrow_golden import FrameInput  # noqa: E402
from pyworkers import evaltypes  # noqa: E402
from pyworkers.arrow import grouped, grouped_pandas  # noqa: E402
from pyworkers.arrow.scalar import ArrowResultError  # noqa: E402
from test_arrow_grouped import command, data, results  # noqa: E402

SEEN = []


def run(src, name, schema, groups, waits=(), max_records=10000, by_name=True):
    cmd = grouped_pandas.HANDLER.read_command(io.BytesIO(command(src, name, schema, max_records=max_records,
                                                                 by_name=by_name)))
    out = io.BytesIO()
    inp = FrameInput(data(*groups), waits=waits)
    task = evaltypes.TaskIO(0, inp, out)
    try:
        grouped_pandas.HANDLER.load(cmd, task)()
    finally:
        run.output = out.getvalue()
    return results(out.getvalue())


def rows(k, v, s):
    return [pa.record_batch([pa.array(k, pa.int64()), pa.array(v, pa.float64()), pa.array(s, pa.string())],
                            names=["k", "v", "s"])]


GROUPS = [rows([1, 1], [0.5, 1.5], ["a", "b"]), rows([2, None, 2], [2.5, None, 3.5], ["c", None, "e"]),
          rows([3], [4.5], ["f"]), rows([4, 4], [5.5, 6.5], [None, "h"])]
SCHEMA = pa.schema([("k", pa.int64()), ("v", pa.float64()), ("s", pa.string())])


def test_eachGroupSeesWhatItsOwnConversionGives_dtypesIndexAndValues():
    src = ("import builtins\n\ndef f(pdf):\n"
           "    builtins._pw_seen.append((dict(pdf.dtypes.astype(str)), list(pdf.index), pdf.to_dict('list')))\n"
           "    return pdf\n")
    import builtins
    builtins._pw_seen = []
    try:
        schema, out = run(src, "f", SCHEMA, GROUPS)
        seen = builtins._pw_seen
    finally:
        del builtins._pw_seen
    alone = [pa.Table.from_batches(g).to_pandas() for g in GROUPS]
    want = [(dict(a.dtypes.astype(str)), list(a.index), a.to_dict("list")) for a in alone]
    assert [(d, i) for d, i, _ in seen] == [(d, i) for d, i, _ in want]
    assert str(seen[1][2]) == str(want[1][2])  # NaN and None as a group alone has them
    assert seen[0][0]["k"] == "int64" and seen[1][0]["k"] == "float64"
    assert [r if isinstance(r, tuple) else r.to_pydict() for r in out] == [
        {"k": [1, 1], "v": [0.5, 1.5], "s": ["a", "b"]}, ("END", 2),
        {"k": [2, None, 2], "v": [2.5, None, 3.5], "s": ["c", None, "e"]}, ("END", 3),
        {"k": [3], "v": [4.5], "s": ["f"]}, ("END", 1),
        {"k": [4, 4], "v": [5.5, 6.5], "s": [None, "h"]}, ("END", 2)]


def test_aChangeToOneGroupsFrame_reachesNoOtherGroup():
    src = ("def f(pdf):\n    pdf.loc[0, 'v'] = -1.0\n"
           "    pdf['s'] = 'x'\n    return pdf\n")
    _, out = run(src, "f", SCHEMA, [GROUPS[0], GROUPS[2], GROUPS[3]])
    batches = [r.to_pydict() for r in out if not isinstance(r, tuple)]
    assert [b["v"] for b in batches] == [[-1.0, 1.5], [-1.0], [-1.0, 6.5]]
    assert [b["s"] for b in batches] == [["x", "x"], ["x"], ["x", "x"]]


def test_anExceptionInAGroup_comesAfterTheAnswersOfTheGroupsBeforeIt():
    src = "def f(pdf):\n    if pdf.k.iloc[0] == 3:\n        raise ValueError('three')\n    return pdf\n"
    with pytest.raises(ValueError, match="three") as info:
        run(src, "f", SCHEMA, GROUPS)
    assert info.value.__notes__ == ["while running UDF f of SQL_GROUPED_MAP_PANDAS_UDF on group 2 (key (3)) of "
                                    "partition 0"]
    _, out = results(run.output)
    assert [r for r in out if isinstance(r, tuple)] == [("END", 2), ("END", 3)]


def test_aResultThatDoesNotConvert_failsNamingItsOwnGroup_afterTheAnswersBeforeIt():
    src = ("import pandas as pd\n\ndef f(pdf):\n    k = pdf.k.iloc[0]\n"
           "    return pd.DataFrame({'n': [0.5 if k == 4 else 1.0]})\n")
    with pytest.raises(ArrowResultError, match=r"on group 3 \(key \(4\)\) of partition 0 returned column 'n' of "
                                               r"dtype float64, which does not convert to the declared type int64"):
        run(src, "f", pa.schema([("n", pa.int64())]), GROUPS)
    _, out = results(run.output)
    assert [r for r in out if isinstance(r, tuple)] == [("END", 1)] * 3


def test_resultsOfDifferentDtypes_areConvertedApart_soNoValueIsCoerced():
    src = ("import pandas as pd\n\ndef f(pdf):\n    k = pdf.k.iloc[0]\n"
           "    return pd.DataFrame({'n': [2 ** 60 + 1]}) if k == 1 else pd.DataFrame({'n': [3.0]})\n")
    _, out = run(src, "f", pa.schema([("n", pa.int64())]), [GROUPS[0], GROUPS[2]])
    assert [r.to_pydict() for r in out if not isinstance(r, tuple)] == [{"n": [2 ** 60 + 1]}, {"n": [3]}]


def test_emptyResults_byPosition_andResultsCutAtMaxRecords_amongBatchedGroups():
    src = ("import pandas as pd\n\ndef f(pdf):\n    if pdf.k.iloc[0] == 3:\n        return pd.DataFrame()\n"
           "    return pd.DataFrame({'a': pdf.v, 'b': pdf.k})\n")
    schema = pa.schema([("v", pa.float64()), ("k", pa.int64())])
    _, out = run(src, "f", schema, [GROUPS[0], GROUPS[2], GROUPS[3]], max_records=1, by_name=False)
    assert [r if isinstance(r, tuple) else r.to_pydict() for r in out] == [
        {"v": [0.5], "k": [1]}, {"v": [1.5], "k": [1]}, ("END", 2), ("END", 0),
        {"v": [5.5], "k": [4]}, {"v": [6.5], "k": [4]}, ("END", 2)]


def test_groupBody_handsOverTheWaitingGroups_beforeItWouldWaitForInput_andAtMaxRecords():
    calls = []

    def run_many(pending, emit):
        calls.append([g for _, g in pending])
        for table, _ in pending:
            emit(table)

    frames = data(*GROUPS)
    # frames: schema, then per group START, batch, END: group g's END is frame 4 + 3g (counting from 1)
    for waits, max_records, want in [((), 10000, [[0, 1, 2, 3]]), ((4, 10), 10000, [[0], [1, 2], [3]]),
                                     ((), 3, [[0, 1], [2, 3]])]:
        calls.clear()
        out = io.BytesIO()
        inp = FrameInput(frames, waits=waits)
        body = grouped.group_body("T", evaltypes.TaskIO(0, inp, out), SCHEMA, (0,), max_records,
                                  lambda t, g: t, run_many)
        body()
        assert calls == want, (waits, max_records)
        assert [r for r in results(out.getvalue())[1] if isinstance(r, tuple)] == [
            ("END", 2), ("END", 3), ("END", 1), ("END", 2)]


def test_nestedColumns_areConvertedGroupByGroup():
    nested = [[pa.record_batch([pa.array([k, k], pa.int64()), pa.array([[1], [2, None]], pa.list_(pa.int64()))],
                               names=["k", "l"])] for k in (1, 2)]
    src = "def f(pdf):\n    return pdf\n"
    schema = pa.schema([("k", pa.int64()), ("l", pa.list_(pa.int64()))])
    _, out = run(src, "f", schema, nested)
    assert [r.to_pydict() for r in out if not isinstance(r, tuple)] == [
        {"k": [1, 1], "l": [[1], [2, None]]}, {"k": [2, 2], "l": [[1], [2, None]]}]


def test_resultBatches_areCutAtMaxRecords_andAtAboutMaxBatchBytes(monkeypatch):
    table = pa.table({"x": pa.array(range(1000), pa.int64())})
    assert [b.num_rows for b in grouped.result_batches(table, 300)] == [300, 300, 300, 100]
    monkeypatch.setattr(grouped, "MAX_BATCH_BYTES", 800)  # 8 bytes a row: 100 rows a batch
    assert [b.num_rows for b in grouped.result_batches(table, 300)] == [100] * 10
    monkeypatch.setattr(grouped, "MAX_BATCH_BYTES", 1)
    assert [b.num_rows for b in grouped.result_batches(table.slice(0, 3), 300)] == [1, 1, 1]
    assert grouped.result_batches(table.slice(0, 0), 300) == []
