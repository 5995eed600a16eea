"""pyworkers.jobs_pandas, the Python side of ``pyworkers run --pandas``, on its own: the job runs in this process,
called the way a worker calls it (docs/protocol.md section 8), and every result is compared with the same FUNC run
by plain pandas over the same records in one call. The end-to-end runs through real workers are the JUnit tests of
pyworkers-cli (RunPandasTest)."""
import json
import signal
import struct

import pandas as pd
import pyarrow as pa
import pytest

from pyworkers import jobs, jobs_pandas

UDF = '''
import pandas as pd

def f(df):
    return pd.DataFrame({"x": df["x"] * 2, "s": df["s"].str.len()})

def grow(df):
    return pd.concat([df, df]).sort_index(kind="stable").reset_index(drop=True)

def none(df):
    return df.iloc[0:0]

def boom(df):
    raise RuntimeError("no")

def series(df):
    return df["x"]

def inf(df):
    return pd.DataFrame({"r": [1.0, float("inf")]})

def twice(df):
    return pd.DataFrame([[1, 2]], columns=["a", "a"])

def grouped(df):
    return df.groupby("s").sum()

def values(df):
    return pd.DataFrame({"f": df["x"] / 3, "t": pd.to_datetime(df["x"], unit="ms"), "nan": float("nan"),
                         "big": pd.array([2 ** 62] * len(df), dtype="Int64"), "cat": pd.Categorical(["a"] * len(df))})
'''

RECORDS = [{"x": 1, "s": "ab"}, {"x": None, "s": None}, {"x": 3, "s": "\u00e9t\u00e9"}, {"x": 4, "s": ""}]


@pytest.fixture
def udf(tmp_path):
    path = tmp_path / "udf.py"
    path.write_text(UDF)
    return str(path)


@pytest.fixture(autouse=True)
def own_sigint():
    """The job installs its SIGINT handler in the main thread; put the test runner's back afterwards."""
    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def jsonl_frame(records, first_line=1, blank_after=None):
    lines = []
    for i, r in enumerate(records):
        lines.append(json.dumps(r))
        if i == blank_after:
            lines.append("")
    return struct.pack(">q", first_line) + ("\n".join(lines) + "\n").encode("utf-8")


def run(udf, func, frames, in_fmt="jsonl", out_fmt="jsonl", **options):
    job = jobs_pandas.make_pandas_job(udf, func, in_fmt, out_fmt, **options)
    return list(job(3, iter(frames)))


def split(frame):
    return struct.unpack(">i", frame[:4])[0], frame[4:]


def oracle(udf, func, records):
    """FUNC over the same records by plain pandas, written with the documented to_json options."""
    namespace = {}
    exec(compile(open(udf).read(), udf, "exec"), namespace)
    df = pd.DataFrame(records).convert_dtypes()
    text = namespace[func](df).to_json(orient="records", lines=True, date_format="iso", date_unit="ns",
                                       double_precision=15, force_ascii=False)
    return text.encode("utf-8") if text.endswith("\n") else (text + "\n").encode("utf-8")


def test_check_task_loads_func_and_reports_the_versions(udf):
    out = run(udf, "f", [])
    info = json.loads(out[0])
    assert info["pandas"] == pd.__version__ and info["pyarrow"] == pa.__version__


def test_jsonl_frames_each_answered_by_one_frame_with_the_input_count(udf):
    frames = [jsonl_frame(RECORDS[:2], 1, blank_after=0), jsonl_frame(RECORDS[2:], 4)]
    out = [split(f) for f in run(udf, "f", frames)]
    assert [n for n, _ in out] == [2, 2]
    assert b"".join(body for _, body in out) == oracle(udf, "f", RECORDS[:2]) + oracle(udf, "f", RECORDS[2:])


def test_a_result_may_have_more_or_no_rows(udf):
    n, body = split(run(udf, "grow", [jsonl_frame(RECORDS)])[0])
    assert n == 4 and body == oracle(udf, "grow", RECORDS) and body.count(b"\n") == 8
    n, body = split(run(udf, "none", [jsonl_frame(RECORDS)])[0])
    assert n == 4 and body == b""


def test_json_values_are_written_as_documented(udf):
    _, body = split(run(udf, "values", [jsonl_frame([{"x": 1500}, {"x": 2}])])[0])
    first = json.loads(body.splitlines()[0])
    assert first == {"f": 500.0, "t": "1970-01-01T00:00:01.500000000", "nan": None, "big": 2 ** 62, "cat": "a"}
    assert json.loads(body.splitlines()[1])["f"] == 0.666666666666667  # 15 significant digits


def test_csv_frames_are_parsed_with_the_header_frame(udf):
    header = struct.pack(">q", 1) + b"x,s\n"
    frame = struct.pack(">q", 2) + '1,ab\n,\n3,"\u00e9\nt"\n'.encode("utf-8")
    n, body = split(run(udf, "f", [header, frame], in_fmt="csv")[0])
    assert n == 3
    assert [json.loads(line) for line in body.splitlines()] == [{"x": 2, "s": 2}, {"x": None, "s": None},
                                                                 {"x": 6, "s": 3}]


def test_arrow_frames_read_their_rows_from_the_file(udf, tmp_path):
    path = str(tmp_path / "in.arrow")
    table = pa.Table.from_pylist(RECORDS)
    with pa.ipc.new_file(path, table.schema) as w:
        for b in table.to_batches(max_chunksize=3):
            w.write_batch(b)
    frames = [struct.pack(">qiqq", 1, 0, 0, 2), struct.pack(">qiqq", 3, 0, 2, 1), struct.pack(">qiqq", 4, 1, 0, 1)]
    out = [split(f) for f in run(udf, "f", frames, in_fmt="arrow", arrow_path=path)]
    assert [n for n, _ in out] == [2, 1, 1]
    assert b"".join(b for _, b in out) == oracle(udf, "f", RECORDS)


def test_arrow_output_is_a_schema_message_then_batches(udf):
    n, body = split(run(udf, "f", [jsonl_frame(RECORDS)], out_fmt="arrow")[0])
    reader = pa.ipc.open_stream(pa.BufferReader(body + b"\xff\xff\xff\xff\x00\x00\x00\x00"))
    table = reader.read_all()
    assert n == 4 and table.schema.metadata is None
    assert table.to_pylist() == [{"x": 2, "s": 2}, {"x": None, "s": None}, {"x": 6, "s": 3}, {"x": 8, "s": 0}]


def test_an_empty_result_sends_its_schema_and_no_batch(udf):
    _, body = split(run(udf, "none", [jsonl_frame(RECORDS)], out_fmt="arrow")[0])
    message = pa.ipc.read_message(pa.BufferReader(body))
    assert message.type == "schema" and len(body) == message.serialize().size


def test_schema_casts_every_result_and_a_lossy_cast_fails(udf):
    _, body = split(run(udf, "f", [jsonl_frame(RECORDS)], out_fmt="arrow", schema="x:float64,s:int32")[0])
    table = pa.ipc.open_stream(pa.BufferReader(body + b"\xff\xff\xff\xff\x00\x00\x00\x00")).read_all()
    assert table.schema == pa.schema([("x", pa.float64()), ("s", pa.int32())])
    with pytest.raises(jobs.UdfRecordError, match=r"partition 3 \(input lines 1-4\) cannot be written: .*--schema"):
        run(udf, "values", [jsonl_frame([{"x": 1}, {"x": 2}, {"x": 3}, {"x": 4}])], out_fmt="arrow",
            schema="f:int64,t:timestamp[ns],nan:float64,big:int64,cat:string")
    with pytest.raises(jobs.UdfRecordError, match=r"do not match --schema \['x'\]: extra \['s'\]"):
        run(udf, "f", [jsonl_frame(RECORDS)], out_fmt="arrow", schema="x:int64")


@pytest.mark.parametrize("text, message", [
    ("x", "'x' is not NAME:TYPE"),
    ("x:int65", "'int65' is not a pyarrow type name"),
    ("x:int64,x:string", "column 'x' is named twice"),
])
def test_a_bad_schema_is_an_argument_error_at_the_check(udf, text, message):
    with pytest.raises(jobs_pandas.JobArgumentError, match=message):
        run(udf, "f", [], out_fmt="arrow", schema=text)


def test_func_errors_name_the_partition_the_lines_and_carry_the_traceback(udf):
    with pytest.raises(jobs.UdfRecordError) as e:
        run(udf, "boom", [jsonl_frame(RECORDS, 10)])
    text = str(e.value)
    assert "boom raised RuntimeError on the DataFrame of partition 3 (input lines 10-13, 4 rows): no" in text
    assert 'raise RuntimeError("no")' in text and "jobs_pandas.py" not in text
    with pytest.raises(jobs.UdfRecordError, match=r"series returned Series .* returns one"):
        run(udf, "series", [jsonl_frame(RECORDS)])


def test_infinity_and_duplicate_columns_are_errors_in_json_output(udf):
    with pytest.raises(jobs.UdfRecordError, match=r"column 'r' holds inf at result row 1"):
        run(udf, "inf", [jsonl_frame(RECORDS)])
    with pytest.raises(jobs.UdfRecordError, match=r"names column\(s\) \['a'\] more than once"):
        run(udf, "twice", [jsonl_frame(RECORDS)])
    for out_fmt in ("jsonl", "arrow"):
        with pytest.raises(jobs.UdfRecordError, match=r"its index is named \['s'\]: .* call reset_index\(\)"):
            run(udf, "grouped", [jsonl_frame(RECORDS)], out_fmt=out_fmt)


def test_infinity_is_kept_in_arrow_output(udf):
    _, body = split(run(udf, "inf", [jsonl_frame(RECORDS)], out_fmt="arrow")[0])
    table = pa.ipc.open_stream(pa.BufferReader(body + b"\xff\xff\xff\xff\x00\x00\x00\x00")).read_all()
    assert table.column("r").to_pylist() == [1.0, float("inf")]


def test_malformed_json_names_its_input_line_blank_lines_counted(udf):
    frame = struct.pack(">q", 7) + b'{"x": 1}\n\n{"x": 2\n'
    with pytest.raises(jobs.MalformedRecordError, match=r"input line 9 is not a JSON object .*'\{\"x\": 2'"):
        run(udf, "f", [frame])


def test_missing_pandas_is_an_argument_error_with_the_install_hint(udf, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(jobs_pandas._Libraries, "_loaded", None)
    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(jobs_pandas.JobArgumentError, match=r"needs pandas and pyarrow .* -m pip install pandas pyarrow"):
        run(udf, "f", [])


def test_the_vectorized_json_writer_writes_to_jsons_bytes_or_leaves_the_frame_to_it():
    """Random frames of the fast types, with nulls and strings of characters to_json escapes or keeps: the vectorized
    writer's bytes are to_json's whenever it takes the frame, and it leaves every frame with an escaped character."""
    import random
    writer = jobs_pandas._JsonWriter(jobs_pandas._Libraries.load())
    rng = random.Random(7)
    alphabet = ["a", "\u00e9", "\u20ac", "\U0001f600", "/", '"', "\\", "\n", "\x01", "\x7f", "\u2028", " ", "Z"]
    taken = left = 0
    for _ in range(300):
        n = rng.randrange(1, 30)
        strings = [None if rng.random() < 0.2 else "".join(rng.choice(alphabet) for _ in range(rng.randrange(4)))
                   for _ in range(n)]
        df = pd.DataFrame({
            "i": pd.array([None if rng.random() < 0.2 else rng.randrange(-2 ** 63, 2 ** 63) for _ in range(n)],
                          dtype="Int64"),
            "s": pd.array(strings, dtype="string"),
            "b": pd.array([None if rng.random() < 0.3 else rng.random() < 0.5 for _ in range(n)], dtype="boolean"),
            "u": pd.Series([rng.randrange(2 ** 64) for _ in range(n)], dtype="uint64"),
            "o": pd.Series(strings, dtype=object),
            "z": [None] * n,
        })
        expected = df.to_json(orient="records", lines=True, force_ascii=False).encode("utf-8")
        expected = expected if expected.endswith(b"\n") else expected + b"\n"
        fast = writer._vectorized(df)
        if fast is None:
            left += 1
            assert any(jobs_pandas._NEEDS_ESCAPE.search(s) for s in strings if s is not None)
        else:
            taken += 1
            assert fast == expected
    assert taken > 5 and left > 5
    assert writer._vectorized(pd.DataFrame({"f": [1.5]})) is None  # floats: to_json's 15 digits, not pyarrow's


# ---------------------------------------------------------------------------------------------------------------------
# The golden files of docs/protocol.md section 8 (protocol/golden/arrow/run_pandas_*), shared with the JVM's
# RunPandasGoldenTest: the frames the JVM cuts, the worker's answers, and the IPC file the JVM assembles from them.

GOLDEN = __import__("pathlib").Path(__file__).resolve().parents[2] / "protocol" / "golden" / "arrow"


def test_golden_frames_name_every_row_of_the_input_file_once_in_order():
    reader = pa.ipc.open_file(str(GOLDEN / "run_pandas_input.arrow"))
    data = (GOLDEN / "run_pandas_frames.bin").read_bytes()
    frames = [struct.unpack(">qiqq", data[i:i + 28]) for i in range(0, len(data), 28)]
    assert frames == [(1, 0, 0, 2), (3, 0, 2, 1), (4, 1, 0, 2)]
    rows = [reader.get_batch(b).slice(o, n).to_pylist() for _, b, o, n in frames]
    assert sum(rows, []) == reader.read_all().to_pylist()


def test_golden_answers_are_what_the_job_answers_over_the_golden_frames():
    data = (GOLDEN / "run_pandas_frames.bin").read_bytes()
    frames = [data[i:i + 28] for i in range(0, len(data), 28)]
    job = jobs_pandas.make_pandas_job(str(GOLDEN / "run_pandas_udf.py"), "f", "arrow", "arrow",
                                      arrow_path=str(GOLDEN / "run_pandas_input.arrow"))
    answers = b"".join(struct.pack(">i", len(out)) + out for out in job(0, iter(frames)))
    assert answers == (GOLDEN / "run_pandas_answers.bin").read_bytes()


def test_golden_ipc_file_of_the_jvm_is_funcs_result_over_the_whole_input():
    namespace = {}
    exec(compile((GOLDEN / "run_pandas_udf.py").read_text(), "run_pandas_udf.py", "exec"), namespace)
    whole = pd.read_feather(GOLDEN / "run_pandas_input.arrow", dtype_backend="numpy_nullable")
    expected = pa.Table.from_pandas(namespace["f"](whole), preserve_index=False).replace_schema_metadata(None)
    reader = pa.ipc.open_file(str(GOLDEN / "run_pandas_output.arrow"))
    assert reader.num_record_batches == 2  # the empty answer (row 3 dropped) wrote no batch
    assert reader.read_all().equals(expected)
