package dev.pyworkers.spark.internal;

import dev.pyworkers.OnMismatch;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.ReturnType;
import java.io.Serializable;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Which Spark types a Python row UDF may take and return, and a result (core's value after {@link #coreType})
 * fitted to the external value of a declared Spark type, with java.time values for dates and timestamps, or the
 * error naming the UDF, the row and the value ({@link CatalystValues} then makes it internal). A naive Python
 * datetime returned for a {@code TimestampType} is a wall time in the session time zone ({@code
 * spark.sql.session.timeZone}), as in PySpark. Immutable; thread-safe.
 */
public final class SparkValues implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String sessionZone;
  private transient ZoneId zone;

  public SparkValues(String sessionZone) {
    this.sessionZone = sessionZone;
    ZoneId.of(sessionZone); // fails early on a zone the JDK does not know
  }

  private ZoneId zone() {
    ZoneId z = zone;
    if (z == null) zone = z = ZoneId.of(sessionZone);
    return z;
  }

  // -- what may go in and come out -----------------------------------------------------------------------------

  /** Null when {@code type} can be an argument of a Python row UDF, else why not. */
  public static String unsupportedInput(DataType type) {
    DataType bad = firstUnsupported(type, true);
    return bad == null ? null : bad.simpleString() + " has no Python value here (intervals, variants, geometry,"
        + " time and user-defined types are not supported); cast it to a supported type first";
  }

  /** Null when a Python row UDF can return {@code type}, else why not. */
  public static String unsupportedResult(DataType type) {
    DataType bad = firstUnsupported(type, false);
    return bad == null ? null : "a Python row UDF cannot return " + bad.simpleString() + "; declare one of boolean,"
        + " tinyint, smallint, int, bigint, float, double, decimal(p,s), string, binary, date, timestamp,"
        + " timestamp_ntz, or arrays, maps and structs of them";
  }

  /** The first type inside {@code type} (itself included) that has no Python value; null types only as input. */
  private static DataType firstUnsupported(DataType type, boolean input) {
    if (isScalar(type) || (input && type instanceof NullType)) return null;
    if (type instanceof ArrayType a) return firstUnsupported(a.elementType(), input);
    if (type instanceof MapType m) {
      DataType k = firstUnsupported(m.keyType(), input);
      return k != null ? k : firstUnsupported(m.valueType(), input);
    }
    if (type instanceof StructType s) {
      for (StructField f : s.fields()) {
        DataType bad = firstUnsupported(f.dataType(), input);
        if (bad != null) return bad;
      }
      return null;
    }
    return type;
  }

  private static boolean isScalar(DataType t) {
    return t instanceof BooleanType || t instanceof ByteType || t instanceof ShortType || t instanceof IntegerType
        || t instanceof LongType || t instanceof FloatType || t instanceof DoubleType || t instanceof DecimalType
        || t instanceof StringType || t instanceof BinaryType || t instanceof DateType || t instanceof TimestampType
        || t instanceof TimestampNTZType;
  }

  /** What core converts the results to before {@link #toSpark}: its own checks for the plain types. */
  public static ReturnType coreType(DataType t) {
    if (t instanceof BooleanType) return ReturnType.BOOLEAN;
    if (t instanceof ByteType || t instanceof ShortType || t instanceof IntegerType || t instanceof LongType) {
      return ReturnType.LONG;
    }
    if (t instanceof FloatType || t instanceof DoubleType) return ReturnType.DOUBLE;
    if (t instanceof DecimalType d) return ReturnType.decimal(d.precision(), d.scale());
    if (t instanceof StringType) return ReturnType.STRING;
    if (t instanceof BinaryType) return ReturnType.BINARY;
    if (t instanceof DateType) return ReturnType.DATE;
    if (t instanceof TimestampNTZType) return ReturnType.TIMESTAMP_NTZ;
    return ReturnType.ANY; // timestamps (naive ones are session wall times), arrays, maps, structs: converted here
  }

  // -- Python to Spark -----------------------------------------------------------------------------------------

  /**
   * {@code v} (core's value after {@link #coreType}) as the external value of {@code type} in a {@code Row}, or
   * null, or an error naming {@code what} (the UDF), the row and the value when it does not fit and {@code
   * onMismatch} is {@link OnMismatch#ERROR}.
   */
  public Object toSpark(Object v, DataType type, OnMismatch onMismatch, String what, long row) {
    if (v == null) return null;
    Object out = fit(v, type);
    if (out != null) return out;
    if (onMismatch == OnMismatch.NULL) return null;
    throw new PythonWorkerException(what + " returned " + describe(v) + " for row " + row + " of the partition, which"
        + " does not fit its declared type " + type.simpleString() + "; return a matching Python value, declare"
        + " another type, or choose OnMismatch.NULL to get null for such results");
  }

  private Object fit(Object v, DataType type) {
    if (type instanceof IntegerType) return v instanceof Long l && l == (int) (long) l ? (Object) (int) (long) l : null;
    if (type instanceof ShortType) return v instanceof Long l && l == (short) (long) l ? (Object) (short) (long) l : null;
    if (type instanceof ByteType) return v instanceof Long l && l == (byte) (long) l ? (Object) (byte) (long) l : null;
    if (type instanceof FloatType) {
      if (!(v instanceof Double d)) return null;
      float f = (float) (double) d;
      return Float.isInfinite(f) && !Double.isInfinite(d) ? null : (Object) f;
    }
    if (type instanceof LongType || type instanceof BooleanType || type instanceof DoubleType
        || type instanceof StringType || type instanceof BinaryType || type instanceof DecimalType
        || type instanceof TimestampNTZType) {
      return v; // core checked these
    }
    if (type instanceof DateType) {
      if (!(v instanceof LocalDate d)) return null;
      return d;
    }
    if (type instanceof TimestampType) {
      if (v instanceof Instant) return v;
      return v instanceof LocalDateTime l ? l.atZone(zone()).toInstant() : null; // naive: a session wall time
    }
    if (type instanceof ArrayType a) {
      List<?> items = v instanceof List<?> l ? l : v instanceof Object[] arr ? List.of(arr) : null;
      if (items == null) return null;
      List<Object> out = new ArrayList<>(items.size());
      for (Object e : items) {
        if (e == null) {
          if (!a.containsNull()) return null;
          out.add(null);
          continue;
        }
        Object c = fit(core(e, a.elementType()), a.elementType());
        if (c == null) return null;
        out.add(c);
      }
      return CollectionConverters.asScala(out).toSeq();
    }
    if (type instanceof MapType m) {
      if (!(v instanceof Map<?, ?> map)) return null;
      Map<Object, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (e.getKey() == null) return null;
        Object k = fit(core(e.getKey(), m.keyType()), m.keyType());
        if (k == null) return null;
        Object val = null;
        if (e.getValue() != null) {
          val = fit(core(e.getValue(), m.valueType()), m.valueType());
          if (val == null) return null;
        } else if (!m.valueContainsNull()) {
          return null;
        }
        out.put(k, val);
      }
      return CollectionConverters.asScala(out);
    }
    if (type instanceof StructType s) {
      List<?> items = v instanceof Object[] arr ? List.of(arr) : v instanceof List<?> l ? l : null;
      if (items == null || items.size() != s.fields().length) return null;
      Object[] out = new Object[items.size()];
      for (int i = 0; i < out.length; i++) {
        Object e = items.get(i);
        if (e == null) {
          if (!s.fields()[i].nullable()) return null;
          continue;
        }
        DataType ft = s.fields()[i].dataType();
        out[i] = fit(core(e, ft), ft);
        if (out[i] == null) return null;
      }
      return RowFactory.create(out);
    }
    return null;
  }

  /** A nested value as core would have converted it at the top level ({@link #coreType}), or null. */
  private static Object core(Object v, DataType t) {
    ReturnType rt = coreType(t);
    return switch (rt.kind()) {
      case BOOLEAN -> v instanceof Boolean ? v : null;
      case LONG -> v instanceof Long ? v : v instanceof Integer i ? (Object) i.longValue()
          : v instanceof Boolean b ? (Object) (b ? 1L : 0L) : null;
      case DOUBLE -> v instanceof Double ? v : v instanceof Long || v instanceof Integer
          ? (Object) ((Number) v).doubleValue() : null;
      case STRING -> v instanceof String ? v : null;
      case BINARY -> v instanceof byte[] ? v : null;
      case DECIMAL -> decimal(v, rt.precision(), rt.scale());
      case DATE -> v instanceof LocalDate ? v : null;
      case TIMESTAMP_NTZ -> v instanceof LocalDateTime ? v : null;
      default -> v;
    };
  }

  private static Object decimal(Object v, int precision, int scale) {
    BigDecimal d = v instanceof BigDecimal b ? b
        : v instanceof Long || v instanceof Integer ? BigDecimal.valueOf(((Number) v).longValue()) : null;
    if (d == null) return null;
    BigDecimal r = d.setScale(scale, java.math.RoundingMode.HALF_UP);
    return r.precision() - r.scale() > precision - scale ? null : r;
  }

  private static String describe(Object v) {
    String s = v instanceof byte[] b ? "bytes of length " + b.length : String.valueOf(v);
    if (v instanceof Object[] a) s = java.util.Arrays.deepToString(a);
    if (s.length() > 200) s = s.substring(0, 200) + "...";
    return "a " + pythonName(v) + " (" + s + ")";
  }

  private static String pythonName(Object v) {
    if (v instanceof Long || v instanceof Integer || v instanceof java.math.BigInteger) return "int";
    if (v instanceof Double) return "float";
    if (v instanceof String) return "str";
    if (v instanceof Boolean) return "bool";
    if (v instanceof byte[]) return "bytes";
    if (v instanceof BigDecimal) return "decimal.Decimal";
    if (v instanceof LocalDate) return "datetime.date";
    if (v instanceof LocalDateTime) return "naive datetime.datetime";
    if (v instanceof Instant) return "aware datetime.datetime";
    if (v instanceof List) return "list";
    if (v instanceof Object[]) return "tuple";
    if (v instanceof Map) return "dict";
    return v.getClass().getSimpleName();
  }
}
