package dev.pyworkers.arrow;

import dev.pyworkers.EvalType;

/** The Arrow eval types of this module, with Spark's {@code PythonEvalType} numbers. Stateless. */
public final class ArrowEvalTypes {
  private ArrowEvalTypes() {}

  /**
   * The runner conf key of the session time zone, {@code spark.sql.session.timeZone}, as Spark's Python worker reads
   * it: {@code PythonRunner.builder(registry).conf(Map.of(SESSION_TIME_ZONE, "Europe/Berlin"))}. Set, the pandas eval
   * types give a zoned timestamp column to the function as naive wall-clock time of that zone and take a naive result
   * for a declared zoned timestamp as wall-clock time of it (an ambiguous or nonexistent one fails the task); unset,
   * a zoned column arrives tz-aware. An IANA region ({@code "America/Los_Angeles"}) or an offset ({@code "+08:00"});
   * a value that names no zone fails each task at its start. The Arrow eval types and SQL_ARROW_BATCHED_UDF ignore
   * it. See docs/protocol.md section 7.3.1.
   */
  public static final String SESSION_TIME_ZONE = "spark.sql.session.timeZone";

  /** Scalar pandas UDFs: each function takes {@code pandas.Series} and returns one of the batch's length. */
  public static final EvalType SQL_SCALAR_PANDAS_UDF = EvalType.of(200, "SQL_SCALAR_PANDAS_UDF");

  /** Plain row functions fed from Arrow batches: each function takes one row's values and returns one value. */
  public static final EvalType SQL_ARROW_BATCHED_UDF = EvalType.of(101, "SQL_ARROW_BATCHED_UDF");

  /** Scalar Arrow UDFs: each function takes {@code pyarrow.Array}s and returns one of the batch's length. */
  public static final EvalType SQL_SCALAR_ARROW_UDF = EvalType.of(250, "SQL_SCALAR_ARROW_UDF");

  /** One scalar pandas UDF over an iterator: {@code Iterator[Series] -> Iterator[Series]}, as many rows out as in. */
  public static final EvalType SQL_SCALAR_PANDAS_ITER_UDF = EvalType.of(204, "SQL_SCALAR_PANDAS_ITER_UDF");

  /** One scalar Arrow UDF over an iterator: {@code Iterator[Array] -> Iterator[Array]}, as many rows out as in. */
  public static final EvalType SQL_SCALAR_ARROW_ITER_UDF = EvalType.of(251, "SQL_SCALAR_ARROW_ITER_UDF");

  /** mapInPandas: {@code Iterator[DataFrame] -> Iterator[DataFrame]}, any number of rows, a declared schema. */
  public static final EvalType SQL_MAP_PANDAS_ITER_UDF = EvalType.of(205, "SQL_MAP_PANDAS_ITER_UDF");

  /** mapInArrow: {@code Iterator[RecordBatch] -> Iterator[RecordBatch]}, any number of rows, a declared schema. */
  public static final EvalType SQL_MAP_ARROW_ITER_UDF = EvalType.of(207, "SQL_MAP_ARROW_ITER_UDF");

  /** Grouped map pandas UDFs ({@code applyInPandas}): a {@code pandas.DataFrame} per group in, one out. */
  public static final EvalType SQL_GROUPED_MAP_PANDAS_UDF = EvalType.of(201, "SQL_GROUPED_MAP_PANDAS_UDF");

  /** Grouped map Arrow UDFs ({@code applyInArrow}): a {@code pyarrow.Table} per group in, one out. */
  public static final EvalType SQL_GROUPED_MAP_ARROW_UDF = EvalType.of(209, "SQL_GROUPED_MAP_ARROW_UDF");

  /** Grouped aggregate pandas UDFs: {@code pandas.Series} of a group in, one scalar out. */
  public static final EvalType SQL_GROUPED_AGG_PANDAS_UDF = EvalType.of(202, "SQL_GROUPED_AGG_PANDAS_UDF");

  /** Grouped aggregate Arrow UDFs: {@code pyarrow.Array}s of a group in, one scalar out. */
  public static final EvalType SQL_GROUPED_AGG_ARROW_UDF = EvalType.of(252, "SQL_GROUPED_AGG_ARROW_UDF");

  /** Window aggregate pandas UDFs: {@code pandas.Series} of each row's frame in, one scalar per row out. */
  public static final EvalType SQL_WINDOW_AGG_PANDAS_UDF = EvalType.of(203, "SQL_WINDOW_AGG_PANDAS_UDF");

  /** Window aggregate Arrow UDFs: {@code pyarrow.Array}s of each row's frame in, one scalar per row out. */
  public static final EvalType SQL_WINDOW_AGG_ARROW_UDF = EvalType.of(253, "SQL_WINDOW_AGG_ARROW_UDF");

  /** Cogrouped map pandas UDFs ({@code cogroup(...).applyInPandas}): two {@code pandas.DataFrame}s in, one out. */
  public static final EvalType SQL_COGROUPED_MAP_PANDAS_UDF = EvalType.of(206, "SQL_COGROUPED_MAP_PANDAS_UDF");

  /** Cogrouped map Arrow UDFs ({@code cogroup(...).applyInArrow}): two {@code pyarrow.Table}s in, one out. */
  public static final EvalType SQL_COGROUPED_MAP_ARROW_UDF = EvalType.of(210, "SQL_COGROUPED_MAP_ARROW_UDF");
}
