package dev.pyworkers.internal.pickle;

import dev.pyworkers.OnMismatch;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.ReturnType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Converts unpickled UDF results ({@link ValueUnpickler}'s values) to their declared {@link ReturnType}; a result
 * that does not fit fails naming UDF, row and value, or becomes null ({@link OnMismatch#NULL}). Stateless.
 */
public final class ResultConverter {
  private ResultConverter() {}

  public static Object convert(Object v, ReturnType type, OnMismatch onMismatch, int udf, long row) {
    if (v == null) return null;
    Object out = fit(v, type);
    if (out != null) return out;
    if (onMismatch == OnMismatch.NULL) return null;
    throw new PythonWorkerException(
        "UDF " + udf + " returned " + describe(v) + " for row " + row + " but its return type is " + type
            + overflow(v, type) + "; return a matching Python value, declare ReturnType.ANY, or declare"
            + " OnMismatch.NULL to get null for such results");
  }

  /** {@code v} as {@code type}, or null when it does not fit. */
  private static Object fit(Object v, ReturnType type) {
    switch (type.kind()) {
      case ANY -> {
        return normalize(v);
      }
      case BOOLEAN -> {
        if (v instanceof Boolean) return v;
      }
      case LONG -> {
        if (v instanceof Long) return v;
        if (v instanceof Integer i) return i.longValue();
        if (v instanceof BigInteger b && b.bitLength() < 64) return b.longValue();
        if (v instanceof Boolean b) return b ? 1L : 0L;
      }
      case DOUBLE -> {
        if (v instanceof Double) return v;
        if (v instanceof Long || v instanceof Integer || v instanceof BigInteger) return ((Number) v).doubleValue();
      }
      case STRING -> {
        if (v instanceof String) return v;
      }
      case BINARY -> {
        if (v instanceof byte[]) return v;
      }
      case DECIMAL -> {
        BigDecimal d = v instanceof BigDecimal b ? b
            : v instanceof Long || v instanceof Integer ? BigDecimal.valueOf(((Number) v).longValue())
            : v instanceof BigInteger b ? new BigDecimal(b) : null;
        if (d != null) return type.precision() == 0 ? d : fixed(d, type);
      }
      case DATE -> {
        if (v instanceof LocalDate) return v;
      }
      case TIMESTAMP -> {
        if (v instanceof Instant) return v;
        if (v instanceof LocalDateTime t) return t.toInstant(ZoneOffset.UTC);
      }
      case TIMESTAMP_NTZ -> {
        if (v instanceof LocalDateTime) return v;
      }
      case LIST -> {
        if (v instanceof List) return normalize(v);
        if (v instanceof Object[] a) return Arrays.asList((Object[]) normalize(a));
      }
      case MAP -> {
        if (v instanceof Map) return normalize(v);
      }
    }
    return null;
  }

  /** {@code d} rounded HALF_UP to the type's scale; null when it then needs more than p - s integer digits. */
  private static BigDecimal fixed(BigDecimal d, ReturnType type) {
    BigDecimal r = d.setScale(type.scale(), RoundingMode.HALF_UP);
    return r.precision() - r.scale() > type.precision() - type.scale() && r.signum() != 0 ? null : r;
  }

  private static String overflow(Object v, ReturnType type) {
    if (type.kind() != ReturnType.Kind.DECIMAL || type.precision() == 0) return "";
    if (!(v instanceof BigDecimal || v instanceof Long || v instanceof Integer || v instanceof BigInteger)) return "";
    return ", which holds at most " + (type.precision() - type.scale()) + " digit(s) before the point";
  }

  /** Python ints come out of Pyrolite as Integer when small; give Long (BigInteger past 64 bits) throughout. */
  @SuppressWarnings("unchecked")
  static Object normalize(Object v) {
    if (v instanceof Integer i) return i.longValue();
    if (v instanceof ValueUnpickler.NonFinite n) return n.toDouble();
    if (v instanceof List<?> l) {
      List<Object> list = (List<Object>) l;
      for (int i = 0; i < list.size(); i++) list.set(i, normalize(list.get(i)));
      return list;
    }
    if (v instanceof Object[] a) {
      for (int i = 0; i < a.length; i++) a[i] = normalize(a[i]);
      return a;
    }
    if (v instanceof Map<?, ?> m) {
      Map<Object, Object> out = new java.util.LinkedHashMap<>();
      for (Map.Entry<?, ?> e : m.entrySet()) out.put(normalize(e.getKey()), normalize(e.getValue()));
      return out;
    }
    return v;
  }

  private static String describe(Object v) {
    String text = v instanceof byte[] b ? b.length + " bytes" : v instanceof Object[] a ? Arrays.toString(a)
        : String.valueOf(v);
    if (text.length() > 80) text = text.substring(0, 77) + "...";
    String type = v instanceof ValueUnpickler.NonFinite ? "decimal.Decimal" : v.getClass().getSimpleName();
    return ("AEIOU".indexOf(type.charAt(0)) >= 0 ? "an " : "a ") + type + " (" + text + ")";
  }
}
