package dev.pyworkers.spark.internal;

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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.util.ArrayBasedMapData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;
import org.apache.spark.unsafe.types.UTF8String;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Spark's internal values (what an {@code InternalRow} holds: {@code UTF8String}, {@code Decimal}, days and
 * microseconds, {@code ArrayData}, {@code MapData}, nested rows) and the Java values core pickles, both ways. Reading a
 * column is a {@link Reader} made once per column type, so a row costs a few virtual calls, not a walk over the
 * type. Dates are proleptic Gregorian days, as Spark keeps them since 3.0; timestamps reach Python as aware
 * datetimes at the session zone's offset at that instant. Results are first fitted to external values by
 * {@link SparkValues} (java.time ones), then turned internal here. Immutable; thread-safe.
 */
public final class CatalystValues implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Reads one value of a fixed type from a row or an array, as core pickles it; null for a null slot. */
  @FunctionalInterface
  public interface Reader extends Serializable {
    Object read(SpecializedGetters from, int ordinal);
  }

  private final String sessionZone;
  private final SparkValues fitter;
  private transient ZoneId zone;

  public CatalystValues(String sessionZone) {
    this.sessionZone = sessionZone;
    this.fitter = new SparkValues(sessionZone);
  }

  private ZoneId zone() {
    ZoneId z = zone;
    if (z == null) zone = z = ZoneId.of(sessionZone);
    return z;
  }

  // -- Spark to Python -----------------------------------------------------------------------------------------

  /** The reader of values of {@code type}: a type {@link SparkValues#unsupportedInput} accepts. */
  public Reader reader(DataType type) {
    Reader plain = plainReader(type);
    return (from, i) -> from.isNullAt(i) ? null : plain.read(from, i);
  }

  private Reader plainReader(DataType t) {
    if (t instanceof LongType) return SpecializedGetters::getLong;
    if (t instanceof IntegerType) return SpecializedGetters::getInt;
    if (t instanceof DoubleType) return SpecializedGetters::getDouble;
    if (t instanceof StringType) return (r, i) -> r.getUTF8String(i).toString();
    if (t instanceof BooleanType) return SpecializedGetters::getBoolean;
    if (t instanceof ShortType) return SpecializedGetters::getShort;
    if (t instanceof ByteType) return SpecializedGetters::getByte;
    if (t instanceof FloatType) return SpecializedGetters::getFloat;
    if (t instanceof BinaryType) return SpecializedGetters::getBinary;
    if (t instanceof DecimalType d) {
      int p = d.precision();
      int s = d.scale();
      return (r, i) -> r.getDecimal(i, p, s).toJavaBigDecimal();
    }
    if (t instanceof DateType) return (r, i) -> LocalDate.ofEpochDay(r.getInt(i));
    if (t instanceof TimestampType) {
      return (r, i) -> DateTimeUtils.microsToInstant(r.getLong(i)).atZone(zone()); // aware, at the session offset
    }
    if (t instanceof TimestampNTZType) return (r, i) -> DateTimeUtils.microsToLocalDateTime(r.getLong(i));
    if (t instanceof NullType) return (r, i) -> null;
    if (t instanceof ArrayType a) {
      Reader element = reader(a.elementType());
      return (r, i) -> list(r.getArray(i), element);
    }
    if (t instanceof MapType m) {
      Reader key = reader(m.keyType());
      Reader value = reader(m.valueType());
      return (r, i) -> {
        MapData map = r.getMap(i);
        ArrayData keys = map.keyArray();
        ArrayData values = map.valueArray();
        Map<Object, Object> out = new LinkedHashMap<>();
        for (int k = 0; k < map.numElements(); k++) out.put(key.read(keys, k), value.read(values, k));
        return out;
      };
    }
    if (t instanceof StructType s) {
      int n = s.fields().length;
      Reader[] fields = new Reader[n];
      for (int f = 0; f < n; f++) fields[f] = reader(s.fields()[f].dataType());
      return (r, i) -> {
        InternalRow struct = r.getStruct(i, n);
        Object[] out = new Object[n];
        for (int f = 0; f < n; f++) out[f] = fields[f].read(struct, f);
        return out;
      };
    }
    throw new IllegalArgumentException("a " + t.simpleString() + " column has no Python value here");
  }

  private static List<Object> list(ArrayData a, Reader element) {
    int n = a.numElements();
    List<Object> out = new ArrayList<>(n);
    for (int k = 0; k < n; k++) out.add(element.read(a, k));
    return out;
  }

  // -- Python to Spark -----------------------------------------------------------------------------------------

  /**
   * {@code v} (core's value after {@link SparkValues#coreType}) as the internal value of {@code type}, or null, or
   * the error {@link SparkValues#toSpark} gives when it does not fit.
   */
  public Object toInternal(Object v, DataType type, dev.pyworkers.OnMismatch onMismatch, String what, long row) {
    if (v == null) return null;
    if (type instanceof LongType && v instanceof Long) return v; // core checked it: the common case, at once
    if (type instanceof DoubleType && v instanceof Double) return v;
    return internal(fitter.toSpark(v, type, onMismatch, what, row), type);
  }

  /** An external value of {@code t} ({@link SparkValues#toSpark} with java.time types) as Spark keeps it. */
  private static Object internal(Object v, DataType t) {
    if (v == null) return null;
    if (t instanceof StringType) return UTF8String.fromString((String) v);
    if (t instanceof DecimalType d) return Decimal.apply((BigDecimal) v, d.precision(), d.scale());
    if (t instanceof DateType) return (int) ((LocalDate) v).toEpochDay();
    if (t instanceof TimestampType) return DateTimeUtils.instantToMicros((Instant) v);
    if (t instanceof TimestampNTZType) return DateTimeUtils.localDateTimeToMicros((LocalDateTime) v);
    if (t instanceof ArrayType a) {
      List<?> items = CollectionConverters.asJava((scala.collection.Seq<?>) v);
      Object[] out = new Object[items.size()];
      for (int k = 0; k < out.length; k++) out[k] = internal(items.get(k), a.elementType());
      return new GenericArrayData(out);
    }
    if (t instanceof MapType m) {
      Map<?, ?> map = CollectionConverters.asJava((scala.collection.Map<?, ?>) v);
      Object[] keys = new Object[map.size()];
      Object[] values = new Object[map.size()];
      int k = 0;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        keys[k] = internal(e.getKey(), m.keyType());
        values[k++] = internal(e.getValue(), m.valueType());
      }
      return new ArrayBasedMapData(new GenericArrayData(keys), new GenericArrayData(values));
    }
    if (t instanceof StructType s) {
      Row r = (Row) v;
      Object[] out = new Object[r.length()];
      for (int f = 0; f < out.length; f++) out[f] = internal(r.get(f), s.fields()[f].dataType());
      return new GenericInternalRow(out);
    }
    return v; // boolean, the integers, float, double, binary: Spark keeps them as they are
  }
}
