package dev.pyworkers;

import java.util.Objects;

/**
 * How a runner hands data to its Python functions and reads their results (docs/protocol.md section 5): a number,
 * as Spark's {@code PythonEvalType} numbers them, and a name. Two are built in, {@link #NON_UDF} and
 * {@link #SQL_BATCHED_UDF}; a module adds its own with {@link #of(int, String)} and an
 * {@link dev.pyworkers.spi.EvalTypeCodec} (docs/spi.md). Two eval types are equal when their codes are. Immutable.
 */
public final class EvalType {
  /**
   * Framed byte records in, {@code func(partition_index, iterator)} in Python, framed records out. The records'
   * format is set by the runner's input and output {@link RecordFormat}.
   */
  public static final EvalType NON_UDF = new EvalType(0, "NON_UDF");
  /**
   * Rows of Java values in, pickled in batches; each UDF is called once per row with the columns at its argument
   * offsets; results come back converted to each UDF's {@link ReturnType}.
   */
  public static final EvalType SQL_BATCHED_UDF = new EvalType(100, "SQL_BATCHED_UDF");

  private final int code;
  private final String name;

  private EvalType(int code, String name) {
    this.code = code;
    this.name = name;
  }

  /**
   * The eval type numbered {@code code}: the built-in constant for 0 and 100 (whose names must then be theirs), a new
   * one for any other code >= 0. The name is what messages and metrics call it: 1 to 100 characters of A-Z, 0-9, _.
   */
  public static EvalType of(int code, String name) {
    Objects.requireNonNull(name, "name");
    if (code < 0) {
      throw new IllegalArgumentException("eval type code must be >= 0, got " + code + " for " + name);
    }
    if (!name.matches("[A-Z0-9_]{1,100}")) {
      throw new IllegalArgumentException("eval type name '" + name + "' (code " + code + ") must be 1 to 100"
          + " characters of A-Z, 0-9 and _, like SQL_BATCHED_UDF");
    }
    for (EvalType builtIn : new EvalType[] {NON_UDF, SQL_BATCHED_UDF}) {
      if (builtIn.code == code) {
        if (!builtIn.name.equals(name)) {
          throw new IllegalArgumentException("eval type code " + code + " is the built-in " + builtIn.name
              + ", not " + name + "; pick a code of your own (e.g. 9000 and up)");
        }
        return builtIn;
      }
    }
    return new EvalType(code, name);
  }

  /** The wire code (Spark's {@code PythonEvalType} number for the eval types Spark has). */
  public int code() {
    return code;
  }

  /** The name, e.g. {@code SQL_BATCHED_UDF}. */
  public String name() {
    return name;
  }

  /** Whether this is one of the two eval types core implements itself. */
  public boolean isBuiltIn() {
    return code == NON_UDF.code || code == SQL_BATCHED_UDF.code;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EvalType t && t.code == code;
  }

  @Override
  public int hashCode() {
    return Integer.hashCode(code);
  }

  /** The name, as the enum's was. */
  @Override
  public String toString() {
    return name;
  }
}
