package dev.pyworkers;

/** How NON_UDF records are encoded in their frames, on the way in and on the way out. */
public enum RecordFormat {
  /** A frame is a pickled list of records (Python objects). In Java: {@code byte[]} holding the pickle. */
  PICKLED_BATCHES(1),
  /** A frame is one UTF-8 string. In Java: {@link String} (a {@code byte[]} input is sent as is). */
  UTF8(2),
  /** A frame is one {@code bytes} object. In Java: {@code byte[]}. */
  BYTES(3);

  private final int code;

  RecordFormat(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }
}
