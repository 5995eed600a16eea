package dev.pyworkers;

/**
 * The Java type a UDF's results are converted to. {@code None} is always {@code null}. A result that does not fit
 * is an error naming the UDF, the row and the value.
 */
public enum ReturnType {
  /**
   * As unpickled, with every Python int as Long (BigInteger past 64 bits), also inside containers: Long, Double,
   * String, byte[], Boolean, BigDecimal, Calendar, List, Map, Object[] (a tuple).
   */
  ANY,
  BOOLEAN,
  /** {@link Long}; Python ints outside the long range and non-integral numbers are errors. */
  LONG,
  /** {@link Double}, from any Python int or float. */
  DOUBLE,
  STRING,
  /** {@code byte[]}, from bytes or bytearray. */
  BINARY,
  /** {@link java.math.BigDecimal}, from decimal.Decimal or int. */
  DECIMAL,
  /** {@link java.time.LocalDate}, from datetime.date. */
  DATE,
  /** {@link java.time.Instant}, from datetime.datetime (naive ones are taken as UTC). */
  TIMESTAMP,
  /** {@link java.util.List}, from list or tuple. */
  LIST,
  /** {@link java.util.Map}, from dict. */
  MAP
}
