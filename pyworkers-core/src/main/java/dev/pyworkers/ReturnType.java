package dev.pyworkers;

import java.util.Objects;

/**
 * The Java type a UDF's results are converted to. {@code None} is always {@code null}. A result that does not fit
 * is an error naming the UDF, the row and the value, unless the function asks for null instead
 * ({@link OnMismatch#NULL}). The value mapping, both ways, is the table in {@code docs/protocol.md} section 5.5.
 *
 * <p>A final class rather than an enum, so that a parameterised type ({@link #decimal(int, int)}, Spark's
 * {@code decimal(p, s)}) sits beside the plain ones: the constants keep their names and compare with {@code ==};
 * code that switched on the enum switches on {@link #kind()} instead. Immutable and thread-safe.
 */
public final class ReturnType {
  /** What a return type converts to; {@link ReturnType#kind()}. */
  public enum Kind {
    ANY, BOOLEAN, LONG, DOUBLE, STRING, BINARY, DECIMAL, DATE, TIMESTAMP, TIMESTAMP_NTZ, LIST, MAP
  }

  /** The largest decimal precision, as in Spark. */
  public static final int MAX_PRECISION = 38;

  /**
   * As unpickled, with every Python int as Long (BigInteger past 64 bits), also inside containers: Long, Double,
   * String, byte[], Boolean, BigDecimal, LocalDate, LocalDateTime (a naive datetime), Instant (an aware one), List,
   * Map, Object[] (a tuple).
   */
  public static final ReturnType ANY = new ReturnType(Kind.ANY, 0, 0);
  /** {@link Boolean}, from bool. */
  public static final ReturnType BOOLEAN = new ReturnType(Kind.BOOLEAN, 0, 0);
  /** {@link Long}, from int (and bool as 1/0); ints outside the long range and floats do not fit. */
  public static final ReturnType LONG = new ReturnType(Kind.LONG, 0, 0);
  /** {@link Double}, from float or int. */
  public static final ReturnType DOUBLE = new ReturnType(Kind.DOUBLE, 0, 0);
  /** {@link String}, from str only (lone surrogates kept). */
  public static final ReturnType STRING = new ReturnType(Kind.STRING, 0, 0);
  /** {@code byte[]}, from bytes or bytearray. */
  public static final ReturnType BINARY = new ReturnType(Kind.BINARY, 0, 0);
  /**
   * {@link java.math.BigDecimal} as Python computed it, from decimal.Decimal or int; NaN and infinities do not fit.
   * For a fixed precision and scale, use {@link #decimal(int, int)}.
   */
  public static final ReturnType DECIMAL = new ReturnType(Kind.DECIMAL, 0, 0);
  /** {@link java.time.LocalDate}, from datetime.date (proleptic Gregorian, as Python's). */
  public static final ReturnType DATE = new ReturnType(Kind.DATE, 0, 0);
  /**
   * {@link java.time.Instant} to the microsecond, from datetime.datetime: an aware one at its exact moment
   * (datetime.timezone or zoneinfo.ZoneInfo), a naive one taken as UTC.
   */
  public static final ReturnType TIMESTAMP = new ReturnType(Kind.TIMESTAMP, 0, 0);
  /**
   * {@link java.time.LocalDateTime} to the microsecond, from a naive datetime.datetime (Spark's TIMESTAMP_NTZ); an
   * aware one does not fit.
   */
  public static final ReturnType TIMESTAMP_NTZ = new ReturnType(Kind.TIMESTAMP_NTZ, 0, 0);
  /** {@link java.util.List}, from list or tuple. */
  public static final ReturnType LIST = new ReturnType(Kind.LIST, 0, 0);
  /** {@link java.util.Map}, from dict. */
  public static final ReturnType MAP = new ReturnType(Kind.MAP, 0, 0);

  private final Kind kind;
  private final int precision;
  private final int scale;

  private ReturnType(Kind kind, int precision, int scale) {
    this.kind = kind;
    this.precision = precision;
    this.scale = scale;
  }

  /**
   * {@link java.math.BigDecimal} with exactly {@code scale} digits after the point and at most {@code precision}
   * digits in all, like Spark's {@code decimal(p, s)}: from decimal.Decimal or int, rounded HALF_UP to the scale; a
   * value that needs more than {@code precision - scale} integer digits, NaN or an infinity does not fit.
   *
   * @param precision 1 to 38
   * @param scale 0 to precision
   */
  public static ReturnType decimal(int precision, int scale) {
    if (precision < 1 || precision > MAX_PRECISION) {
      throw new IllegalArgumentException("decimal precision " + precision + " is outside 1.." + MAX_PRECISION
          + "; use ReturnType.DECIMAL for decimals of any precision");
    }
    if (scale < 0 || scale > precision) {
      throw new IllegalArgumentException("decimal(" + precision + ", " + scale + "): scale " + scale
          + " is outside 0.." + precision + " (the scale counts digits after the point, within the precision)");
    }
    return new ReturnType(Kind.DECIMAL, precision, scale);
  }

  public Kind kind() {
    return kind;
  }

  /** The decimal precision of {@link #decimal(int, int)}; 0 for every other type, {@link #DECIMAL} included. */
  public int precision() {
    return precision;
  }

  /** The decimal scale of {@link #decimal(int, int)}; 0 for every other type. */
  public int scale() {
    return scale;
  }

  /** The constant's name, or {@code DECIMAL(p, s)}. */
  public String name() {
    return precision == 0 ? kind.name() : "DECIMAL(" + precision + ", " + scale + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReturnType t && t.kind == kind && t.precision == precision && t.scale == scale;
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, precision, scale);
  }

  @Override
  public String toString() {
    return name();
  }
}
