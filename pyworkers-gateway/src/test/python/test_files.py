"""run_file and map_in_pandas."""
import json

import pandas as pd
import pyarrow as pa
import pytest

from pyworkers.driver import RunFileError

from fns import add_total, arrow_upper, double_n

HERE = __import__("os").path.dirname(__import__("os").path.abspath(__file__))


def _jsonl(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write(json.dumps({"n": i, "s": "r%d" % i}) + "\n")


def _read(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_run_file_with_a_function(shared, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _jsonl(src, 50)
    result = shared.run_file(double_n, str(src), str(out), workers=2)
    assert result.records == 50
    assert _read(out) == [{"n": 2 * i, "s": "R%d" % i} for i in range(50)]


def test_run_file_with_file_and_func(shared, tmp_path):
    udf = tmp_path / "myudf.py"
    udf.write_text("def f(record):\n    return {'m': record['n'] + 1}\n")
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _jsonl(src, 10)
    result = shared.run_file("%s:f" % udf, str(src), str(out))
    assert result.records == 10
    assert _read(out) == [{"m": i + 1} for i in range(10)]


def test_run_file_missing_input(shared, tmp_path):
    with pytest.raises(RunFileError) as info:
        shared.run_file(double_n, str(tmp_path / "missing.jsonl"), str(tmp_path / "out.jsonl"))
    assert info.value.exit_code == 2
    assert not (tmp_path / "out.jsonl").exists()
    assert shared.jvm.java.lang.Math.abs(-1) == 1


def test_map_in_pandas_dataframe(shared):
    frame = pd.DataFrame({"a": range(1000), "b": [x * 0.5 for x in range(1000)]})
    got = shared.map_in_pandas(add_total, frame, partitions=3, chunk_rows=128)
    want = add_total(frame).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)


def test_map_in_pandas_table(shared):
    table = pa.table({"s": ["x%d" % i for i in range(300)], "i": list(range(300))})
    got = shared.map_in_pandas(arrow_upper, table, partitions=2, chunk_rows=64)
    assert isinstance(got, pa.Table)
    assert got.equals(arrow_upper(table))
