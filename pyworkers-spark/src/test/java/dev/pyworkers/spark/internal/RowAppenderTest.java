package dev.pyworkers.spark.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.expressions.codegen.GenerateUnsafeRowJoiner;
import org.apache.spark.sql.catalyst.expressions.codegen.UnsafeRowJoiner;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/** RowAppender's rows are byte for byte the rows Spark's own joiner makes, across bit-set boundaries and nulls. */
class RowAppenderTest {
  private static final DataType[] RESULTS = {DataTypes.LongType, DataTypes.IntegerType, DataTypes.DoubleType,
      DataTypes.BooleanType, DataTypes.ShortType, DataTypes.ByteType, DataTypes.FloatType, DataTypes.DateType,
      DataTypes.TimestampType, DataTypes.TimestampNTZType, DataTypes.createDecimalType(18, 3)};

  private static Object value(DataType t, int i) {
    if (t == DataTypes.LongType || t == DataTypes.TimestampType || t == DataTypes.TimestampNTZType) {
      return -7L * i - 1;
    }
    if (t == DataTypes.IntegerType || t == DataTypes.DateType) return -3 * i - 1;
    if (t == DataTypes.DoubleType) return i * -1.5;
    if (t == DataTypes.BooleanType) return i % 2 == 0;
    if (t == DataTypes.ShortType) return (short) (-i - 1);
    if (t == DataTypes.ByteType) return (byte) (-i - 1);
    if (t == DataTypes.FloatType) return i * -0.25f;
    return Decimal.apply(-123456789012345L - i, 18, 3);
  }

  @Test
  void appendedRowsEqualSparksJoinedRows() {
    for (int fields : new int[] {1, 2, 63, 64, 65, 127}) {
      StructType schema = new StructType();
      for (int i = 0; i < fields; i++) {
        schema = schema.add("c" + i, i % 3 == 1 ? DataTypes.StringType : DataTypes.LongType, true);
      }
      UnsafeProjection toUnsafe = UnsafeProjection.create(schema);
      for (DataType t : RESULTS) {
        RowAppender appender = RowAppender.of(schema, t);
        assertThat(appender).as("an appender of " + t).isNotNull();
        UnsafeRowJoiner joiner = GenerateUnsafeRowJoiner.create(schema, new StructType().add("_r", t));
        UnsafeProjection resultRow = UnsafeProjection.create(new DataType[] {t});
        for (int r = 0; r < 6; r++) {
          List<Object> values = new ArrayList<>();
          for (int i = 0; i < fields; i++) {
            boolean nul = (i + r) % 5 == 0;
            values.add(nul ? null : i % 3 == 1 ? UTF8String.fromString("v" + r + "-" + i + "x".repeat(r * 3))
                : (long) (i * 1000 + r));
          }
          UnsafeRow in = (UnsafeRow) PendingRows.keep(toUnsafe.apply(new GenericInternalRow(values.toArray())));
          Object v = r == 3 ? null : value(t, r);
          UnsafeRow expected = joiner.join(in, resultRow.apply(new GenericInternalRow(new Object[] {v}))).copy();
          UnsafeRow got = appender.append(in, v);
          assertThat(got.getSizeInBytes()).as(fields + " fields + " + t).isEqualTo(expected.getSizeInBytes());
          assertThat(got).as(fields + " fields + " + t + ", row " + r).isEqualTo(expected);
          for (int i = 1; i < fields; i += 3) {
            if (!in.isNullAt(i)) assertThat(got.getUTF8String(i)).isEqualTo(in.getUTF8String(i));
          }
        }
      }
    }
  }

  @Test
  void variableLengthResultsAreLeftToSparksJoiner() {
    StructType schema = new StructType().add("a", DataTypes.LongType);
    assertThat(RowAppender.of(schema, DataTypes.StringType)).isNull();
    assertThat(RowAppender.of(schema, DataTypes.createDecimalType(38, 2))).isNull();
    assertThat(RowAppender.of(schema, DataTypes.createArrayType(DataTypes.LongType))).isNull();
  }
}
