package dev.pyworkers.arrow.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The values and the order of sort keys, for cogrouping two streams that may key by different column types: a key
 * value is normalized from its Arrow type so that equal values compare equal across types (int32 {@code 1}, int64
 * {@code 1}, float64 {@code 1.0} and decimal {@code 1.00} are one key), and keys are ordered ascending, as a sort by
 * the key columns orders them: numbers by value ({@code -0.0} equals {@code 0.0}; NaN equals NaN and is above every
 * other number), strings by code point (the order of their UTF-8 bytes), binaries by unsigned bytes, false before
 * true, dates, times, durations and timestamps by time (a timestamp with a zone is an instant and one without is a
 * local date-time: the two do not compare). Null is one key, first or last as the caller says. Stateless.
 */
public final class KeyOrder {
  private KeyOrder() {}

  /** What a key column's values are, for comparing two columns: columns of one family compare. */
  private enum Family {
    NUMBER, STRING, BINARY, BOOL, DATE, LOCAL_TIMESTAMP, INSTANT, TIME, DURATION
  }

  private static Family familyOf(ArrowType t) {
    return switch (t.getTypeID()) {
      case Int, Decimal -> Family.NUMBER;
      case FloatingPoint -> ((ArrowType.FloatingPoint) t).getPrecision() == FloatingPointPrecision.HALF ? null
          : Family.NUMBER;
      case Utf8, LargeUtf8, Utf8View -> Family.STRING;
      case Binary, LargeBinary, FixedSizeBinary, BinaryView -> Family.BINARY;
      case Bool -> Family.BOOL;
      case Date -> Family.DATE;
      case Timestamp -> ((ArrowType.Timestamp) t).getTimezone() == null ? Family.LOCAL_TIMESTAMP : Family.INSTANT;
      case Time -> Family.TIME;
      case Duration -> Family.DURATION;
      default -> null;
    };
  }

  /**
   * Checks that {@code columns} are columns of {@code schema} whose values can be ordered; {@code side} names the
   * stream in the message.
   */
  public static void checkColumns(Schema schema, int[] columns, String side) {
    List<Field> fields = schema.getFields();
    for (int c : columns) {
      if (c < 0 || c >= fields.size()) {
        throw new IllegalArgumentException("key column " + c + " is not a column of the " + side + " side, which has "
            + fields.size() + " columns " + fields.stream().map(Field::getName).toList()
            + "; give key column indices below that");
      }
      Field f = fields.get(c);
      if (familyOf(f.getType()) == null) {
        throw new IllegalArgumentException("key column " + c + " (" + f.getName() + ": " + f.getType() + ") of the "
            + side + " side has a type whose values have no order; cogroup by columns of an int, float, decimal,"
            + " string, binary, bool, date, time, timestamp or duration type");
      }
    }
  }

  /** Checks that each left key column's values compare with the right key column's at the same position. */
  public static void checkComparable(Schema left, int[] leftColumns, Schema right, int[] rightColumns) {
    for (int i = 0; i < leftColumns.length; i++) {
      Field l = left.getFields().get(leftColumns[i]);
      Field r = right.getFields().get(rightColumns[i]);
      if (familyOf(l.getType()) != familyOf(r.getType())) {
        throw new IllegalArgumentException("key " + i + " of the cogroup is column " + leftColumns[i] + " ("
            + l.getName() + ": " + l.getType() + ") on the left side and column " + rightColumns[i] + " ("
            + r.getName() + ": " + r.getType() + ") on the right side, whose values do not compare; give both"
            + " sides key columns of one kind (numbers with numbers, strings with strings, ...)");
      }
    }
  }

  /** The normalized key of row {@code row} ({@link #checkColumns} passed for these columns). */
  public static List<Object> keyAt(VectorSchemaRoot root, int[] columns, int row) {
    List<Object> key = new ArrayList<>(columns.length);
    for (int c : columns) {
      FieldVector v = root.getVector(c);
      key.add(v.isNull(row) ? null : value(v, row));
    }
    return key;
  }

  private static Object value(FieldVector v, int row) {
    ArrowType t = v.getField().getType();
    Object o = v.getObject(row);
    return switch (t.getTypeID()) {
      case Int -> integer(v, row, o);
      case FloatingPoint -> ((Number) o).doubleValue();
      case Utf8, LargeUtf8, Utf8View -> o.toString();
      case Binary, LargeBinary, FixedSizeBinary, BinaryView -> new Bytes((byte[]) o);
      // date64 reads as a LocalDateTime, date32 as its day number: both are their LocalDate
      case Date -> o instanceof LocalDateTime d ? d.toLocalDate() : LocalDate.ofEpochDay(((Number) o).longValue());
      case Timestamp -> o instanceof Long n ? instant(n, ((ArrowType.Timestamp) t).getUnit()) : o;
      case Time -> localTime(o, ((ArrowType.Time) t).getUnit());
      default -> o; // Decimal: BigDecimal, Bool: Boolean, Duration: java.time.Duration
    };
  }

  /** A signed int as a long; an unsigned one by its unsigned value (a BigInteger above 2^63 - 1). */
  private static Object integer(FieldVector v, int row, Object o) {
    if (v instanceof UInt1Vector u) return (long) u.getObjectNoOverflow(row);
    if (v instanceof UInt2Vector u) return (long) u.getObject(row).charValue();
    if (v instanceof UInt4Vector u) return u.getObjectNoOverflow(row);
    if (v instanceof UInt8Vector u) return u.getObjectNoOverflow(row);
    return ((Number) o).longValue();
  }

  private static Instant instant(long n, TimeUnit unit) {
    return switch (unit) {
      case SECOND -> Instant.ofEpochSecond(n);
      case MILLISECOND -> Instant.ofEpochMilli(n);
      case MICROSECOND -> Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000L), Math.floorMod(n, 1_000_000L) * 1000);
      case NANOSECOND -> Instant.ofEpochSecond(Math.floorDiv(n, 1_000_000_000L), Math.floorMod(n, 1_000_000_000L));
    };
  }

  private static LocalTime localTime(Object o, TimeUnit unit) {
    if (o instanceof LocalDateTime d) return d.toLocalTime();
    long n = ((Number) o).longValue();
    return switch (unit) {
      case SECOND -> LocalTime.ofSecondOfDay(n);
      case MILLISECOND -> LocalTime.ofNanoOfDay(n * 1_000_000L);
      case MICROSECOND -> LocalTime.ofNanoOfDay(n * 1000L);
      case NANOSECOND -> LocalTime.ofNanoOfDay(n);
    };
  }

  /** Negative, zero or positive as key {@code a} sorts before, with or after {@code b}. */
  public static int compare(List<Object> a, List<Object> b, boolean nullsFirst) {
    for (int i = 0; i < a.size(); i++) {
      Object x = a.get(i);
      Object y = b.get(i);
      int c;
      if (x == null || y == null) {
        c = x == y ? 0 : (x == null) == nullsFirst ? -1 : 1;
      } else {
        c = compareValues(x, y);
      }
      if (c != 0) return c;
    }
    return 0;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareValues(Object x, Object y) {
    if (x instanceof Number m && y instanceof Number n) return compareNumbers(m, n);
    if (x instanceof String s && y instanceof String t) return compareCodePoints(s, t);
    if (x.getClass() == y.getClass() && x instanceof Comparable c) return c.compareTo(y);
    throw new IllegalArgumentException("key values " + x + " (" + x.getClass().getSimpleName() + ") and " + y
        + " (" + y.getClass().getSimpleName() + ") do not compare"); // checkComparable rules this out
  }

  private static int compareNumbers(Number m, Number n) {
    if (m instanceof Long a && n instanceof Long b) return Long.compare(a, b);
    if (notFinite(m) || notFinite(n)) {
      double a = m.doubleValue();
      double b = n.doubleValue();
      return a == b ? 0 : Double.compare(a, b); // NaN above all, -0.0 cannot occur here with an infinity or NaN
    }
    return decimal(m).compareTo(decimal(n));
  }

  private static boolean notFinite(Number n) {
    return n instanceof Double d && !Double.isFinite(d);
  }

  private static BigDecimal decimal(Number n) {
    if (n instanceof BigDecimal d) return d;
    if (n instanceof BigInteger i) return new BigDecimal(i);
    if (n instanceof Double d) return new BigDecimal(d); // exact, so 0.1 is not 1/10
    return BigDecimal.valueOf(n.longValue());
  }

  private static int compareCodePoints(String s, String t) {
    int i = 0;
    int j = 0;
    while (i < s.length() && j < t.length()) {
      int a = s.codePointAt(i);
      int b = t.codePointAt(j);
      if (a != b) return Integer.compare(a, b);
      i += Character.charCount(a);
      j += Character.charCount(b);
    }
    return Integer.compare(s.length() - i, t.length() - j);
  }

  /** A byte array with value equality and the unsigned lexicographic order, for binary keys. */
  record Bytes(byte[] value) implements Comparable<Bytes> {
    @Override
    public boolean equals(Object o) {
      return o instanceof Bytes b && Arrays.equals(value, b.value);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(value);
    }

    @Override
    public int compareTo(Bytes o) {
      return Arrays.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
      return Arrays.toString(value);
    }
  }
}
