package dev.pyworkers;

/** How a runner hands data to its Python functions and reads their results (docs/protocol.md section 5). */
public enum EvalType {
  /**
   * Framed byte records in, {@code func(partition_index, iterator)} in Python, framed records out. The records'
   * format is set by the runner's input and output {@link RecordFormat}.
   */
  NON_UDF(0),
  /**
   * Rows of Java values in, pickled in batches; each UDF is called once per row with the columns at its argument
   * offsets; results come back converted to each UDF's {@link ReturnType}.
   */
  SQL_BATCHED_UDF(100);

  private final int code;

  EvalType(int code) {
    this.code = code;
  }

  /** The wire code. */
  public int code() {
    return code;
  }
}
