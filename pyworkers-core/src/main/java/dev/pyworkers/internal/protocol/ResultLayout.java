package dev.pyworkers.internal.protocol;

/** The SQL_BATCHED_UDF header's result layout byte (docs/protocol.md section 5.1). Immutable. */
public enum ResultLayout {
  /** Every output batch is pickled. */
  PICKLED(1),
  /** One UDF returning 64-bit ints: a batch of int-like results may come in the typed form (code {@code q}). */
  INT64(2);

  private final int code;

  ResultLayout(int code) {
    this.code = code;
  }

  /** The {@code u8} on the wire. */
  public int code() {
    return code;
  }
}
