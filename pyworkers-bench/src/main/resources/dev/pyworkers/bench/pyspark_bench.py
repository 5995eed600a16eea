"""PySpark's side of `pyworkers bench spark`: the same UDFs through PySpark itself, on local[2].

Run by SparkBenchmark with the Python that has pyspark; prints one JSON object on its last line:
{"udf_s": [...], "udf_no_arrow_s": [...], "pandas_udf_s": [...], "sum": ..., "pyspark": "4.2.0"}.
"""
import json
import os
import sys
import time


def main(rows: int, repeat: int) -> None:
    # PySpark's workers run this Python too (the one with pyspark, pandas and pyarrow), not python3 from PATH
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    import pandas as pd
    import pyspark
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = (SparkSession.builder.master("local[2]").appName("pyspark-bench")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    try:
        @F.udf("long")
        def inc(x):
            return x + 1

        @F.pandas_udf("long")
        def inc_pandas(x: pd.Series) -> pd.Series:
            return x + 1

        def timed(column, n):
            df = spark.range(0, n, 1, 2)
            t0 = time.perf_counter()
            got = df.select(column(F.col("id")).alias("y")).agg(F.sum("y")).first()[0]
            return time.perf_counter() - t0, got

        out = {"pyspark": pyspark.__version__, "udf_s": [], "udf_no_arrow_s": [], "pandas_udf_s": []}
        expected = rows * (rows - 1) // 2 + rows
        for key, column, conf in (("udf_s", inc, "true"), ("udf_no_arrow_s", inc, "false"),
                                  ("pandas_udf_s", inc_pandas, "true")):
            spark.conf.set("spark.sql.execution.pythonUDF.arrow.enabled", conf)
            timed(column, rows)  # warm-up, untimed, at full size: workers started, code paths compiled
            for _ in range(repeat):
                seconds, got = timed(column, rows)
                if got != expected:
                    raise SystemExit("PySpark %s: sum %r, expected %r" % (key, got, expected))
                out[key].append(round(seconds, 3))
                print("pyspark %s: %.3f s" % (key, seconds), file=sys.stderr, flush=True)
        print(json.dumps(out), flush=True)
    finally:
        spark.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
