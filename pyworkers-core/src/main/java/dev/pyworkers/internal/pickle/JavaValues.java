package dev.pyworkers.internal.pickle;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks and converts row values into what {@link ValuePickler} pickles as the matching Python type, and refuses
 * anything else with a message naming the row, the column and the Java type. Stateless.
 *
 * <p>null → None, Boolean → bool, Byte/Short/Integer/Long/BigInteger → int, Float/Double → float, String/Character →
 * str (lone surrogates kept), byte[] → bytes, BigDecimal → decimal.Decimal, LocalDate/java.sql.Date → datetime.date,
 * Instant/java.sql.Timestamp/java.util.Date/Calendar → aware datetime (UTC), OffsetDateTime/ZonedDateTime → aware
 * datetime at the offset of their instant, LocalDateTime → naive datetime, to the
 * microsecond (nanoseconds truncated toward the past), List/Object[] → list/tuple, Map → dict, nested. The table with
 * the way back is {@code docs/protocol.md} section 5.5.
 */
public final class JavaValues {
  private JavaValues() {}

  /** The row as a tuple of picklable values; {@code row} itself when it needs no conversion (the common case). */
  public static Object[] row(Object[] row, long rowIndex) {
    Object[] out = row;
    for (int i = 0; i < row.length; i++) {
      Object v = row[i];
      if (v == null || v instanceof Long || v instanceof String || v instanceof Integer || v instanceof Double
          || v instanceof Boolean) {
        continue;
      }
      Object c = convert(v, rowIndex, i);
      if (c != v) {
        if (out == row) out = row.clone();
        out[i] = c;
      }
    }
    return out;
  }

  /** One value as it is sent (row layout 2). */
  public static Object value(Object v, long row, int column) {
    if (v == null || v instanceof Long || v instanceof String || v instanceof Integer || v instanceof Double
        || v instanceof Boolean) {
      return v;
    }
    return convert(v, row, column);
  }

  // a caller may hand us a java.util.Date; it is converted to an Instant at once and never used as a Date
  @SuppressWarnings("JavaUtilDate")
  private static Object convert(Object v, long row, int column) {
    if (v == null || v instanceof Boolean || v instanceof Long || v instanceof Integer || v instanceof Double
        || v instanceof String || v instanceof BigDecimal || v instanceof BigInteger || v instanceof byte[]) {
      return v;
    }
    if (v instanceof Short || v instanceof Byte) return ((Number) v).intValue();
    if (v instanceof Float f) return f.doubleValue();
    if (v instanceof Character c) return c.toString();
    if (v instanceof LocalDate d) return inRange(d, d.getYear(), row, column);
    if (v instanceof LocalDateTime t) return inRange(t, t.getYear(), row, column);
    if (v instanceof Instant t) return inRange(t, t.atOffset(java.time.ZoneOffset.UTC).getYear(), row, column);
    if (v instanceof java.time.OffsetDateTime t) return inRange(t, t.getYear(), row, column);
    if (v instanceof java.time.ZonedDateTime t) return inRange(t, t.getYear(), row, column);
    if (v instanceof java.sql.Date d) return inRange(d.toLocalDate(), d.toLocalDate().getYear(), row, column);
    if (v instanceof java.sql.Timestamp t) return convert(t.toInstant(), row, column);
    if (v instanceof java.util.Date d) return convert(Instant.ofEpochMilli(d.getTime()), row, column);
    if (v instanceof Calendar c) return convert(c.toInstant(), row, column);
    if (v instanceof Object[] a) {
      Object[] out = new Object[a.length];
      for (int i = 0; i < a.length; i++) out[i] = convert(a[i], row, column);
      return out;
    }
    if (v instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object e : l) out.add(convert(e, row, column));
      return out;
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) out.put(convert(e.getKey(), row, column), convert(e.getValue(), row, column));
      return out;
    }
    throw new IllegalArgumentException(
        "row " + row + " column " + column + " holds a " + v.getClass().getName() + ", which cannot be sent to"
            + " Python; use null, Boolean, a number, String, byte[], BigDecimal, LocalDate, Instant, OffsetDateTime,"
            + " ZonedDateTime, LocalDateTime, List, Object[] or Map (nested)");
  }

  private static Object inRange(Object v, int year, long row, int column) {
    if (year >= 1 && year <= 9999) return v;
    throw new IllegalArgumentException("row " + row + " column " + column + " holds the " + v.getClass().getSimpleName()
        + " " + v + ", outside Python's datetime range (years 1 to 9999); send it as a number or a string instead");
  }
}
