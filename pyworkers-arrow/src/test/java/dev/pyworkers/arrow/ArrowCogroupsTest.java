package dev.pyworkers.arrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.arrow.internal.KeyOrder;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * {@link ArrowCogroups#sortedBy} without a worker: how it pairs the two sides' runs across key types, where it cuts,
 * what it passes as it is, what it frees, and how it fails on unsorted or incomparable input.
 */
class ArrowCogroupsTest {
  static final Field INT64 = Field.nullable("a", new ArrowType.Int(64, true));
  static final Field INT32 = Field.nullable("b", new ArrowType.Int(32, true));
  static final Field FLOAT64 = Field.nullable("f", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE));
  static final Field UTF8 = Field.nullable("s", ArrowType.Utf8.INSTANCE);

  /** A one-column batch of {@code values} (nulls allowed). */
  static VectorSchemaRoot column(BufferAllocator allocator, Field field, Object... values) {
    VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(List.of(field)), allocator);
    root.allocateNew();
    FieldVector v = root.getVector(0);
    for (int r = 0; r < values.length; r++) {
      Object o = values[r];
      if (v instanceof BigIntVector b) {
        if (o == null) b.setNull(r);
        else b.setSafe(r, ((Number) o).longValue());
      } else if (v instanceof IntVector i) {
        if (o == null) i.setNull(r);
        else i.setSafe(r, ((Number) o).intValue());
      } else if (v instanceof Float8Vector f) {
        if (o == null) f.setNull(r);
        else f.setSafe(r, ((Number) o).doubleValue());
      } else {
        VarCharVector s = (VarCharVector) v;
        if (o == null) s.setNull(r);
        else s.setSafe(r, o.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    root.setRowCount(values.length);
    return root;
  }

  /** Each cogroup as "key:left rows|right rows" (each side's batches' row counts, "=" for a caller batch). */
  static List<String> shape(Iterator<ArrowCogroup> cogroups, List<VectorSchemaRoot> input) {
    List<String> out = new ArrayList<>();
    while (cogroups.hasNext()) {
      try (ArrowCogroup c = cogroups.next()) {
        out.add(c.key() + ":" + side(c.left(), input) + "|" + side(c.right(), input));
      }
    }
    return out;
  }

  private static String side(Iterator<VectorSchemaRoot> it, List<VectorSchemaRoot> input) {
    StringBuilder b = new StringBuilder();
    while (it.hasNext()) {
      VectorSchemaRoot r = it.next();
      b.append(b.length() == 0 ? "" : "+").append(r.getRowCount()).append(input.contains(r) ? "=" : "");
    }
    return b.length() == 0 ? "-" : b.toString();
  }

  @Test
  void sortedBy_pairsInt64AndInt32Runs_keepsEmptySidesAndNullKeys_cutsAtKeyChanges_andFreesItsSlices() {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> left = List.of(column(allocator, INT64, null, 1L, 1L),
          column(allocator, INT64), column(allocator, INT64, 1L, 2L), column(allocator, INT64, 4L, 4L));
      List<VectorSchemaRoot> right = List.of(column(allocator, INT32, null, null, 2, 3),
          column(allocator, INT32, 4), column(allocator, INT32, 4, 9));
      List<VectorSchemaRoot> all = new ArrayList<>(left);
      all.addAll(right);
      long before = allocator.getAllocatedMemory();
      int[] key = {0};
      assertThat(shape(ArrowCogroups.sortedBy(left.iterator(), key, right.iterator(), key), all)).containsExactly(
          "[null]:1|2", "[1]:2+1|-", "[2]:1|1", "[3]:-|1", "[4]:2=|1=+1", "[9]:-|1");
      assertThat(allocator.getAllocatedMemory()).as("every slice freed").isEqualTo(before);
      ArrowData.closeAll(left);
      ArrowData.closeAll(right);
    }
  }

  @Test
  void sortedBy_nullsLast_floatAgainstIntKeys_andAnEmptySideStream() {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> left = List.of(column(allocator, FLOAT64, -0.0, 1.0, 2.5, Double.NaN, null));
      List<VectorSchemaRoot> right = List.of(column(allocator, INT64, 0L, 1L, 2L, null, null));
      int[] key = {0};
      assertThat(shape(ArrowCogroups.sortedBy(left.iterator(), key, right.iterator(), key,
          ArrowCogroups.Nulls.LAST), List.of())).containsExactly(
          "[-0.0]:1|1", "[1.0]:1|1", "[2]:-|1", "[2.5]:1|-", "[NaN]:1|-", "[null]:1|2");
      assertThat(shape(ArrowCogroups.sortedBy(Collections.emptyIterator(), key, right.iterator(), key,
          ArrowCogroups.Nulls.LAST), right)).containsExactly("[0]:-|1", "[1]:-|1", "[2]:-|1", "[null]:-|2");
      ArrowData.closeAll(left);
      ArrowData.closeAll(right);
    }
  }

  @Test
  void sortedBy_skipsWhatTheConsumerLeftOfBothSides() {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> left = List.of(column(allocator, INT64, 1L, 1L, 2L), column(allocator, INT64, 2L, 3L));
      List<VectorSchemaRoot> right = List.of(column(allocator, INT32, 1, 3, 3));
      Iterator<ArrowCogroup> it = ArrowCogroups.sortedBy(left.iterator(), new int[] {0}, right.iterator(),
          new int[] {0});
      List<Object> keys = new ArrayList<>();
      while (it.hasNext()) {
        try (ArrowCogroup c = it.next()) {
          keys.add(c.key().get(0)); // no batch taken
        }
      }
      assertThat(keys).containsExactly(1L, 2L, 3L);
      ArrowData.closeAll(left);
      ArrowData.closeAll(right);
    }
  }

  @Test
  void unsortedSide_failsNamingTheSideBothRowsAndBothKeys() {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> left = List.of(column(allocator, INT64, 1L, 2L));
      List<VectorSchemaRoot> right = List.of(column(allocator, INT32, 1, 5), column(allocator, INT32, 5, 3));
      Iterator<ArrowCogroup> it = ArrowCogroups.sortedBy(left.iterator(), new int[] {0}, right.iterator(),
          new int[] {0});
      List<String> seen = new ArrayList<>();
      assertThatThrownBy(() -> {
        while (it.hasNext()) {
          try (ArrowCogroup c = it.next()) {
            seen.add(c.key() + ":" + side(c.left(), left) + "|" + side(c.right(), right));
          }
        }
      }).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the right side of the cogroup input is not sorted by its key columns [0]: row 1 of its batch"
              + " 1 has key [3], but a run of key [5] started before it, at row 1 of batch 0; sort each side"
              + " ascending by its key columns, nulls first (or give Nulls.LAST)");
      assertThat(seen).as("the cogroups before it").containsExactly("[1]:1|1", "[2]:1|-", "[5]:-|1+1");
      ArrowData.closeAll(left);
      ArrowData.closeAll(right);
    }
  }

  @Test
  void incomparableKeyTypes_unequalKeyCounts_andUnorderableColumns_fail() {
    try (BufferAllocator allocator = new RootAllocator()) {
      List<VectorSchemaRoot> left = List.of(column(allocator, UTF8, "a"));
      List<VectorSchemaRoot> right = List.of(column(allocator, INT32, 1));
      assertThatThrownBy(() -> ArrowCogroups.sortedBy(left.iterator(), new int[] {0}, right.iterator(),
          new int[] {0}).next()).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key 0 of the cogroup is column 0 (s: Utf8) on the left side and column 0 (b: Int(32, true))"
              + " on the right side, whose values do not compare; give both sides key columns of one kind (numbers"
              + " with numbers, strings with strings, ...)");
      assertThatThrownBy(() -> ArrowCogroups.sortedBy(left.iterator(), new int[] {0}, right.iterator(),
          new int[] {0, 0})).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("the left side has 1 key columns [0] and the right side 2 [0, 0]; cogroup both sides by the"
              + " same number of keys");
      assertThatThrownBy(() -> ArrowCogroups.sortedBy(left.iterator(), new int[] {1}, right.iterator(),
          new int[] {0}).next()).isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key column 1 is not a column of the left side, which has 1 columns [s]; give key column"
              + " indices below that");
      ArrowData.closeAll(left);
      ArrowData.closeAll(right);
    }
  }

  @Test
  void keyOrder_numbersByValueAcrossTypes_stringsByCodePoint_nullsWhereAsked() {
    assertThat(KeyOrder.compare(List.of(1L), List.of(1.0), true)).isZero();
    assertThat(KeyOrder.compare(List.of(new BigDecimal("1.00")), List.of(1L), true)).isZero();
    assertThat(KeyOrder.compare(List.of(0.1), List.of(new BigDecimal("0.1")), true)).as("0.1 is not 1/10")
        .isPositive();
    assertThat(KeyOrder.compare(List.of(Long.MAX_VALUE), List.of(Double.POSITIVE_INFINITY), true)).isNegative();
    assertThat(KeyOrder.compare(List.of(Double.NaN), List.of(Double.POSITIVE_INFINITY), true)).isPositive();
    // U+FFFD sorts before U+1D11E by code point (and by UTF-8 bytes), though its UTF-16 unit is larger
    assertThat(KeyOrder.compare(List.of("\uFFFD"), List.of("\uD834\uDD1E"), true)).isNegative();
    assertThat(KeyOrder.compare(Arrays.asList((Object) null), List.of(1L), true)).isNegative();
    assertThat(KeyOrder.compare(Arrays.asList((Object) null), List.of(1L), false)).isPositive();
    assertThat(KeyOrder.compare(Arrays.asList(null, 2L), Arrays.asList(null, 1L), true)).isPositive();
  }

  @Test
  void keyOrder_date32AndDate64_areOneLocalDate_andCompareAcrossTheTwoSides() {
    Schema schema = new Schema(List.of(
        Field.nullable("day32", new ArrowType.Date(org.apache.arrow.vector.types.DateUnit.DAY)),
        Field.nullable("day64", new ArrowType.Date(org.apache.arrow.vector.types.DateUnit.MILLISECOND))));
    try (BufferAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      root.allocateNew();
      org.apache.arrow.vector.DateDayVector day32 = (org.apache.arrow.vector.DateDayVector) root.getVector(0);
      org.apache.arrow.vector.DateMilliVector day64 = (org.apache.arrow.vector.DateMilliVector) root.getVector(1);
      day32.setSafe(0, 19_723); // 2024-01-01
      day64.setSafe(0, 19_723L * 86_400_000L);
      day32.setSafe(1, -1); // 1969-12-31
      day64.setSafe(1, 19_724L * 86_400_000L);
      root.setRowCount(2);
      KeyOrder.checkComparable(schema, new int[] {0}, schema, new int[] {1});
      assertThat(KeyOrder.keyAt(root, new int[] {0, 1}, 0)).containsExactly(java.time.LocalDate.parse("2024-01-01"),
          java.time.LocalDate.parse("2024-01-01"));
      assertThat(KeyOrder.keyAt(root, new int[] {0}, 1)).containsExactly(java.time.LocalDate.parse("1969-12-31"));
      assertThat(KeyOrder.compare(KeyOrder.keyAt(root, new int[] {0}, 0), KeyOrder.keyAt(root, new int[] {1}, 0),
          true)).isZero();
      assertThat(KeyOrder.compare(KeyOrder.keyAt(root, new int[] {0}, 1), KeyOrder.keyAt(root, new int[] {1}, 1),
          true)).isNegative();
      assertThat(KeyOrder.compare(KeyOrder.keyAt(root, new int[] {0}, 0), KeyOrder.keyAt(root, new int[] {0}, 1),
          true)).isPositive();
    }
  }

  @Test
  void keyOrder_normalizesUnsignedDecimalZonedTimestampDateMilliTimeAndFloat32_zonedAndLocalTimestampsDoNotCompare() {
    Schema schema = new Schema(List.of(Field.nullable("u", new ArrowType.Int(64, false)),
        Field.nullable("d", new ArrowType.Decimal(5, 2, 128)),
        Field.nullable("z", new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, "UTC")),
        Field.nullable("day", new ArrowType.Date(org.apache.arrow.vector.types.DateUnit.MILLISECOND)),
        Field.nullable("t", new ArrowType.Time(org.apache.arrow.vector.types.TimeUnit.MICROSECOND, 64)),
        Field.nullable("f", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
        Field.nullable("l", new ArrowType.Timestamp(org.apache.arrow.vector.types.TimeUnit.SECOND, null))));
    try (BufferAllocator allocator = new RootAllocator();
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
      root.allocateNew();
      ((org.apache.arrow.vector.UInt8Vector) root.getVector(0)).setSafe(0, -1L);
      ((org.apache.arrow.vector.DecimalVector) root.getVector(1)).setSafe(0, new BigDecimal("1.50"));
      ((org.apache.arrow.vector.TimeStampMicroTZVector) root.getVector(2)).setSafe(0, 1_500_000L);
      ((org.apache.arrow.vector.DateMilliVector) root.getVector(3)).setSafe(0, 86_400_000L);
      ((org.apache.arrow.vector.TimeMicroVector) root.getVector(4)).setSafe(0, 3_600_000_000L);
      ((org.apache.arrow.vector.Float4Vector) root.getVector(5)).setSafe(0, 1.5f);
      ((org.apache.arrow.vector.TimeStampSecVector) root.getVector(6)).setSafe(0, 60L);
      root.setRowCount(1);
      int[] all = {0, 1, 2, 3, 4, 5, 6};
      KeyOrder.checkColumns(schema, all, "left");
      assertThat(KeyOrder.keyAt(root, all, 0)).containsExactly(new java.math.BigInteger("18446744073709551615"),
          new BigDecimal("1.50"), java.time.Instant.parse("1970-01-01T00:00:01.500Z"),
          java.time.LocalDate.parse("1970-01-02"), java.time.LocalTime.parse("01:00"), 1.5,
          java.time.LocalDateTime.parse("1970-01-01T00:01"));
      assertThat(KeyOrder.compare(KeyOrder.keyAt(root, new int[] {1}, 0), List.of(1.5), true)).isZero();
      assertThatThrownBy(() -> KeyOrder.checkComparable(schema, new int[] {2}, schema, new int[] {6}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("key 0 of the cogroup is column 2 (z: Timestamp(MICROSECOND, UTC)) on the left side"
              + " and column 6 (l: Timestamp(SECOND, null)) on the right side, whose values do not compare");
      assertThatThrownBy(() -> KeyOrder.checkColumns(new Schema(List.of(Field.nullable("m",
          new ArrowType.Interval(org.apache.arrow.vector.types.IntervalUnit.DAY_TIME)))), new int[] {0}, "right"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("key column 0 (m: Interval(DAY_TIME)) of the right side has a type whose values have no order;"
              + " cogroup by columns of an int, float, decimal, string, binary, bool, date, time, timestamp or"
              + " duration type");
    }
  }
}
