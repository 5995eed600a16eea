package dev.pyworkers.internal.protocol;

/** The SQL_BATCHED_UDF header's row layout byte (docs/protocol.md section 5.1). Immutable. */
public enum RowLayout {
  /** Each row is a tuple of column values. */
  TUPLES(1),
  /** Each row is the bare value of the one column every UDF reads; every offset is 0. */
  BARE(2);

  private final int code;

  RowLayout(int code) {
    this.code = code;
  }

  /** The {@code u8} on the wire. */
  public int code() {
    return code;
  }
}
