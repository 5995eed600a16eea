package dev.pyworkers;

/**
 * What a UDF's result that does not fit its {@link ReturnType} becomes (an int over 2^63-1 declared LONG, a str
 * declared DATE, a decimal over its precision, ...). Set per function with
 * {@link PythonFunction#withReturnType(ReturnType, OnMismatch)}; the last function of a UDF's chain decides.
 */
public enum OnMismatch {
  /** The task fails with an error naming the UDF, the row and the value. The default. */
  ERROR,
  /** The result becomes {@code null}, as on PySpark's pickled path; for UDFs moved over from PySpark. */
  NULL
}
