package dev.pyworkers.arrow;

import dev.pyworkers.EvalType;

/** The Arrow eval types of this module, with Spark's {@code PythonEvalType} numbers. Stateless. */
public final class ArrowEvalTypes {
  private ArrowEvalTypes() {}

  /** Scalar pandas UDFs: each function takes {@code pandas.Series} and returns one of the batch's length. */
  public static final EvalType SQL_SCALAR_PANDAS_UDF = EvalType.of(200, "SQL_SCALAR_PANDAS_UDF");

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
}
