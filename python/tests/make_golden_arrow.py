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


if __name__ == "__main__":
    main()
