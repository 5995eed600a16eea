package dev.pyworkers.internal.runner;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.GregorianCalendar;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;

/**
 * Checks and converts row values into what Pyrolite pickles as the matching Python type, and refuses anything else
 * with a message naming the row, the column and the Java type. Stateless.
 *
 * <p>null → None, Boolean → bool, Byte/Short/Integer/Long/BigInteger → int, Float/Double → float, String → str,
 * byte[] → bytearray, BigDecimal → decimal.Decimal, LocalDate/java.sql.Date → datetime.date, Instant → datetime
 * (UTC), LocalDateTime/Calendar/java.util.Date → datetime, List/Object[] → list/tuple, Map → dict, nested.
 */
final class JavaValues {
  private static final TimeZone UTC = TimeZone.getTimeZone("UTC");

  private JavaValues() {}

  /** The row as a tuple of picklable values; {@code row} itself when it needs no conversion (the common case). */
  static Object[] row(Object[] row, long rowIndex) {
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
  static Object value(Object v, long row, int column) {
    if (v == null || v instanceof Long || v instanceof String || v instanceof Integer || v instanceof Double
        || v instanceof Boolean) {
      return v;
    }
    return convert(v, row, column);
  }

  private static Object convert(Object v, long row, int column) {
    if (v == null || v instanceof Boolean || v instanceof Long || v instanceof Integer || v instanceof Double
        || v instanceof String || v instanceof BigDecimal || v instanceof BigInteger || v instanceof byte[]
        || v instanceof java.sql.Date) {
      return v;
    }
    if (v instanceof Short || v instanceof Byte) return ((Number) v).intValue();
    if (v instanceof Float f) return f.doubleValue();
    if (v instanceof Character c) return c.toString();
    if (v instanceof LocalDate d) return java.sql.Date.valueOf(d);
    if (v instanceof Instant t) return calendar(t.toEpochMilli(), t.getNano());
    if (v instanceof LocalDateTime t) return calendar(t.toInstant(ZoneOffset.UTC).toEpochMilli(), t.getNano());
    if (v instanceof java.util.Date d) return calendar(d.getTime(), (int) Math.floorMod(d.getTime(), 1000L) * 1_000_000);
    if (v instanceof Calendar) return v;
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
            + " Python; use null, Boolean, a number, String, byte[], BigDecimal, LocalDate, Instant, LocalDateTime,"
            + " List, Object[] or Map (nested)");
  }

  private static Calendar calendar(long epochMillis, int nanos) {
    GregorianCalendar c = new GregorianCalendar(UTC);
    c.setTimeInMillis(Math.floorDiv(epochMillis, 1000L) * 1000L + (nanos / 1_000_000));
    return c;
  }
}
