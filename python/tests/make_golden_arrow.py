"""Writes protocol/golden/arrow/scalar_output.bin, grouped_output.bin and cogrouped_output.bin with the real
SQL_SCALAR_PANDAS_UDF, SQL_GROUPED_MAP_ARROW_UDF and SQL_COGROUPED_MAP_ARROW_UDF handlers.

Run ``python tests/make_golden_arrow.py`` from ``python/`` after a deliberate change of the Arrow framing (and after
rewriting the JVM's two files with ``-Dpyworkers.arrow.writeGolden=true`` on ArrowGoldenTest, if they changed).
"""
import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(_ROOT / "pyworkers-core" / "src" / "main" / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyworkers  # noqa: E402

pyworkers.__path__.append(str(_ROOT / "pyworkers-arrow" / "src" / "main" / "python" / "pyworkers"))

import arrow_golden  # noqa: E402


def main() -> None:
    path = arrow_golden.ARROW_GOLDEN_DIR / "scalar_output.bin"
    path.write_bytes(arrow_golden.golden_output())
    print("wrote %s" % path)
    path = arrow_golden.ARROW_GOLDEN_DIR / "grouped_output.bin"
    path.write_bytes(arrow_golden.grouped_golden_output())
    print("wrote %s" % path)
    write_cogrouped_golden()
    write_window_golden()
    write_run_pandas_golden()
    write_session_zone_golden()
    write_shm_golden()


def shm_golden_frames():
    """The two shared-memory control frames of docs/protocol.md 7.10: the folder /dev/shm/f with threshold 262144,
    and slot in-1 holding a 640,368-byte message at offset 0."""
    from pyworkers.arrow import shm
    return shm.folder_frame(262144, "/dev/shm/f"), shm.batch_frame(0, 640368, "in-1")


def write_shm_golden() -> None:
    folder, batch = shm_golden_frames()
    for name, data in (("shm_folder_frame.bin", folder), ("shm_batch_frame.bin", batch)):
        path = arrow_golden.ARROW_GOLDEN_DIR / name
        path.write_bytes(data)
        print("wrote %s" % path)


def write_cogrouped_golden() -> None:
    """cogrouped_output.bin: the SQL_COGROUPED_MAP_ARROW_UDF handler's frames for the JVM's cogrouped input
    (CogroupedGoldenTest writes cogrouped_arrow_command.bin and cogrouped_input.bin; docs/protocol.md 7.8)."""
    from pyworkers import protocol
    from pyworkers.arrow import cogrouped
    command = (arrow_golden.ARROW_GOLDEN_DIR / "cogrouped_arrow_command.bin").read_bytes()
    frames = arrow_golden.split_frames((arrow_golden.ARROW_GOLDEN_DIR / "cogrouped_input.bin").read_bytes())
    path = arrow_golden.ARROW_GOLDEN_DIR / "cogrouped_output.bin"
    path.write_bytes(arrow_golden.run_handler(cogrouped.HANDLER, command, frames) + protocol.pack_int(-1))
    print("wrote %s" % path)


def write_window_golden() -> None:
    """protocol/golden/arrow/window_bounded_output.bin (SQL_WINDOW_AGG_ARROW_UDF, ROWS BETWEEN 1 PRECEDING AND
    CURRENT ROW) and window_unbounded_output.bin (SQL_WINDOW_AGG_PANDAS_UDF over the whole partition): the real
    handlers' result frames for the JVM's window inputs (WindowGoldenTest writes those), then -1."""
    from pyworkers import protocol
    from pyworkers.arrow import window, window_pandas
    for name, handler in (("window_bounded", window.HANDLER), ("window_unbounded", window_pandas.HANDLER)):
        command = (arrow_golden.ARROW_GOLDEN_DIR / (name + "_command.bin")).read_bytes()
        frames = arrow_golden.split_frames((arrow_golden.ARROW_GOLDEN_DIR / (name + "_input.bin")).read_bytes())
        path = arrow_golden.ARROW_GOLDEN_DIR / (name + "_output.bin")
        path.write_bytes(arrow_golden.run_handler(handler, command, frames) + protocol.pack_int(-1))
        print("wrote %s" % path)


# ---------------------------------------------------------------------------------------------------------------------
# pyworkers run --pandas (docs/protocol.md section 8): the input Arrow IPC file, the frames the JVM cuts from it, and
# what pyworkers.jobs_pandas answers with Arrow output. RunPandasGoldenTest (pyworkers-cli) checks the frames and
# writes run_pandas_output.arrow from the answers; python/tests/test_jobs_pandas.py checks all four.

RUN_PANDAS_UDF = "run_pandas_udf.py"


def run_pandas_frames(path):
    """The 28-byte frames of docs/protocol.md 8.2 for every batch of ``path``, 2 rows at most each (``--batch-size
    2``), as the JVM's ArrowFileSplitter cuts them."""
    import struct

    import pyarrow as pa

    frames = []
    reader = pa.ipc.open_file(str(path))
    row = 1
    for i in range(reader.num_record_batches):
        rows = reader.get_batch(i).num_rows
        for offset in range(0, rows, 2):
            frames.append(struct.pack(">qiqq", row + offset, i, offset, min(2, rows - offset)))
        row += rows
    return frames


def run_pandas_answers(golden_dir):
    """The output frames of the job over the golden frames, each prefixed by its big-endian int32 length."""
    import struct

    from pyworkers import jobs_pandas

    frames = run_pandas_frames(golden_dir / "run_pandas_input.arrow")
    job = jobs_pandas.make_pandas_job(str(golden_dir / RUN_PANDAS_UDF), "f", "arrow", "arrow",
                                      arrow_path=str(golden_dir / "run_pandas_input.arrow"))
    return b"".join(struct.pack(">i", len(out)) + out for out in job(0, iter(frames)))


def write_run_pandas_golden():
    import struct

    import pyarrow as pa

    pyworkers.__path__.append(str(_ROOT / "pyworkers-cli" / "src" / "main" / "python" / "pyworkers"))
    golden = arrow_golden.ARROW_GOLDEN_DIR
    (golden / RUN_PANDAS_UDF).write_text('import pandas as pd\n\n\ndef f(df):\n'
                                         '    """Row 3 of the input goes, every other row gains y = 2 x."""\n'
                                         '    kept = df[df["x"].fillna(0) != 3]\n'
                                         '    return kept.assign(y=kept["x"] * 2).reset_index(drop=True)\n')
    table = pa.table({"x": pa.array([1, 2, 3, None, 5], pa.int64()), "s": pa.array(["a", None, "c", "d", "e"])})
    with pa.ipc.new_file(str(golden / "run_pandas_input.arrow"), table.schema) as w:
        for batch in table.to_batches(max_chunksize=3):
            w.write_batch(batch)
    (golden / "run_pandas_frames.bin").write_bytes(b"".join(run_pandas_frames(golden / "run_pandas_input.arrow")))
    (golden / "run_pandas_answers.bin").write_bytes(run_pandas_answers(golden))
    assert struct.calcsize(">qiqq") == 28
    print("wrote %s/run_pandas_{udf.py,input.arrow,frames.bin,answers.bin}" % golden)



# ---------------------------------------------------------------------------------------------------------------------
# The session time zone (docs/protocol.md 7.3.1): SessionZoneGoldenTest writes session_zone_command.bin and
# session_zone_input.bin (a SQL_SCALAR_PANDAS_UDF task over a zoned timestamp column); the worker's frames come from
# the real handler with spark.sql.session.timeZone = Europe/Berlin in the task's conf.

SESSION_ZONE_CONF = {"spark.sql.session.timeZone": "Europe/Berlin"}


def session_zone_output() -> bytes:
    """The SQL_SCALAR_PANDAS_UDF handler's result frames for the JVM's session zone input, in Berlin, then -1."""
    import io

    from pyworkers import evaltypes, protocol
    from pyworkers.arrow import scalar_pandas
    handler = scalar_pandas.HANDLER
    command = handler.read_command(io.BytesIO((arrow_golden.ARROW_GOLDEN_DIR / "session_zone_command.bin")
                                              .read_bytes()))
    frames = arrow_golden.split_frames((arrow_golden.ARROW_GOLDEN_DIR / "session_zone_input.bin").read_bytes())
    out = io.BytesIO()
    task = evaltypes.TaskIO(0, arrow_golden.FrameInput(frames), out, SESSION_ZONE_CONF)  # type: ignore[arg-type]
    handler.load(command, task)()
    return out.getvalue() + protocol.pack_int(-1)


def write_session_zone_golden() -> None:
    path = arrow_golden.ARROW_GOLDEN_DIR / "session_zone_output.bin"
    path.write_bytes(session_zone_output())
    print("wrote %s" % path)


if __name__ == "__main__":
    main()
