package dev.pyworkers.internal.runner;

import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.ReturnType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.Calendar;
import java.util.List;
import java.util.Map;

/** Converts unpickled UDF results to their declared {@link ReturnType}, or fails naming UDF, row and value. */
final class ResultConverter {
  static {
    // Python pickles an aware datetime's tzinfo as datetime.timezone(timedelta); Pyrolite has no constructor for it.
    net.razorvine.pickle.Unpickler.registerConstructor("datetime", "timezone", args -> {
      if (args.length >= 1 && args[0] instanceof net.razorvine.pickle.objects.TimeDelta d) {
        int seconds = d.days * 86_400 + d.seconds;
        return java.util.TimeZone.getTimeZone(java.time.ZoneOffset.ofTotalSeconds(seconds));
      }
      throw new net.razorvine.pickle.PickleException("datetime.timezone with arguments " + Arrays.toString(args));
    });
  }

  private ResultConverter() {}

  /** Makes sure the constructors above are registered before the first unpickling. */
  static void init() {}

  static Object convert(Object v, ReturnType type, int udf, long row) {
    if (v == null) return null;
    if (type == ReturnType.ANY) return normalize(v);
    switch (type) {
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
        if (v instanceof Number n && !(v instanceof BigDecimal)) return n.doubleValue();
      }
      case STRING -> {
        if (v instanceof String) return v;
      }
      case BINARY -> {
        if (v instanceof byte[]) return v;
      }
      case DECIMAL -> {
        if (v instanceof BigDecimal) return v;
        if (v instanceof Integer || v instanceof Long) return BigDecimal.valueOf(((Number) v).longValue());
        if (v instanceof BigInteger b) return new BigDecimal(b);
      }
      case DATE -> {
        if (v instanceof Calendar c) {
          return LocalDate.of(c.get(Calendar.YEAR), c.get(Calendar.MONTH) + 1, c.get(Calendar.DAY_OF_MONTH));
        }
      }
      case TIMESTAMP -> {
        if (v instanceof Calendar c) return Instant.ofEpochMilli(c.getTimeInMillis());
      }
      case LIST -> {
        if (v instanceof List) return normalize(v);
        if (v instanceof Object[] a) return Arrays.asList((Object[]) normalize(a));
      }
      case MAP -> {
        if (v instanceof Map) return normalize(v);
      }
      default -> {
        return v;
      }
    }
    throw new PythonWorkerException(
        "UDF " + udf + " returned " + describe(v) + " for row " + row + " but its return type is " + type
            + "; return a matching Python value or declare ReturnType.ANY");
  }

  /** Python ints come out of Pyrolite as Integer when small; give Long (BigInteger past 64 bits) throughout. */
  @SuppressWarnings("unchecked")
  static Object normalize(Object v) {
    if (v instanceof Integer i) return i.longValue();
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
    String text = v instanceof byte[] b ? b.length + " bytes" : v instanceof Object[] a ? Arrays.toString(a) : String.valueOf(v);
    if (text.length() > 80) text = text.substring(0, 77) + "...";
    return "a " + v.getClass().getSimpleName() + " (" + text + ")";
  }
}
