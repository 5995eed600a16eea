package dev.pyworkers.internal.protocol;

/**
 * The negative {@code int}s that stand where a task frame's length would be (docs/protocol.md section 5), in both
 * directions; Spark's {@code SpecialLengths} by name and value. Python's twin is {@code protocol.SpecialLength}.
 * Immutable.
 */
public enum SpecialLength {
  /** JVM → worker: the data section ends; worker → JVM: the end block (accumulator updates) follows. */
  END_OF_DATA_SECTION(-1),
  /** Worker → JVM: the exception frame (type, message, traceback) follows. */
  PYTHON_EXCEPTION_THROWN(-2),
  /** Worker → JVM: four {@code long} times follow. */
  TIMING_DATA(-3),
  /** Both ways: the end-of-task exchange that keeps the worker. */
  END_OF_STREAM(-4),
  /** A {@code None} record (NON_UDF data, both ways). */
  NULL(-5);

  private static final SpecialLength[] BY_MINUS_CODE = values();

  private final int code;

  SpecialLength(int code) {
    this.code = code;
  }

  /** The value on the wire. */
  public int code() {
    return code;
  }

  /** The special length with this value, or null when {@code code} is none of them (a length, or garbage). */
  public static SpecialLength of(int code) {
    return code >= -5 && code <= -1 ? BY_MINUS_CODE[-code - 1] : null;
  }

  /** {@code "-2 (PYTHON_EXCEPTION_THROWN)"}, for error messages. */
  public String describe() {
    return code + " (" + name() + ")";
  }
}
