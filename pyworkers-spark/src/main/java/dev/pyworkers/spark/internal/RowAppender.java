package dev.pyworkers.spark.internal;

import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
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
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.TimestampNTZType;
import org.apache.spark.sql.types.TimestampType;
import org.apache.spark.unsafe.Platform;

/**
 * Appends a fixed-width value to an {@code UnsafeRow} kept on the heap, with Java array copies: the null bits, the
 * fixed-width slots and the variable-length region of the input are copied into one buffer with room for one more
 * slot, the offsets of the input's variable-length fields moved by the bytes the slots and bits grew, and the value
 * written in the new slot (UnsafeRow's layout: 8-byte words of null bits, 8 bytes per field, then the variable-length
 * data). Spark's generated row joiner does the same for any two rows, through {@code Unsafe.copyMemory}; for the
 * common results (numbers, dates, timestamps, decimals of up to 18 digits) this costs less. The buffer is reused:
 * a row is valid until the next {@link #append}. One per task; not thread-safe.
 */
final class RowAppender {
  private final int fields;
  private final int[] variableOrdinals;
  private final DataType type;
  private final int inBits;
  private final int outBits;
  private final UnsafeRow out;
  private byte[] buffer = new byte[64];

  private RowAppender(StructType input, DataType type) {
    this.fields = input.fields().length;
    int[] var = new int[fields];
    int n = 0;
    for (int i = 0; i < fields; i++) {
      if (!UnsafeRow.isFixedLength(input.fields()[i].dataType())) var[n++] = i;
    }
    this.variableOrdinals = java.util.Arrays.copyOf(var, n);
    this.type = type;
    this.inBits = UnsafeRow.calculateBitSetWidthInBytes(fields);
    this.outBits = UnsafeRow.calculateBitSetWidthInBytes(fields + 1);
    this.out = new UnsafeRow(fields + 1);
  }

  /** An appender of {@code type} values to rows of {@code input}, or null when {@code type} is not fixed-width. */
  static RowAppender of(StructType input, DataType type) {
    boolean fixed = type instanceof LongType || type instanceof IntegerType || type instanceof DoubleType
        || type instanceof BooleanType || type instanceof ShortType || type instanceof ByteType
        || type instanceof FloatType || type instanceof DateType || type instanceof TimestampType
        || type instanceof TimestampNTZType
        || (type instanceof DecimalType d && d.precision() <= Decimal.MAX_LONG_DIGITS());
    return fixed ? new RowAppender(input, type) : null;
  }

  /** {@code in} (on the heap, of the input schema) with {@code value} (internal, or null) as its last field. */
  UnsafeRow append(UnsafeRow in, Object value) {
    byte[] src = (byte[]) in.getBaseObject();
    int start = (int) (in.getBaseOffset() - Platform.BYTE_ARRAY_OFFSET);
    int size = in.getSizeInBytes();
    int slots = 8 * fields;
    int grow = outBits - inBits + 8;
    int outSize = size + grow;
    if (buffer.length < outSize) buffer = new byte[Math.max(outSize, 2 * buffer.length)];
    byte[] b = buffer;
    System.arraycopy(src, start, b, 0, inBits);
    if (outBits > inBits) java.util.Arrays.fill(b, inBits, outBits, (byte) 0);
    System.arraycopy(src, start + inBits, b, outBits, slots);
    System.arraycopy(src, start + inBits + slots, b, outBits + slots + 8, size - inBits - slots);
    long base = Platform.BYTE_ARRAY_OFFSET;
    for (int i : variableOrdinals) {
      long at = base + outBits + 8L * i;
      if (!in.isNullAt(i)) Platform.putLong(b, at, Platform.getLong(b, at) + ((long) grow << 32));
    }
    long slot = base + outBits + slots;
    Platform.putLong(b, slot, 0L);
    out.pointTo(b, outSize);
    if (value == null) {
      out.setNullAt(fields);
      return out;
    }
    if (type instanceof LongType || type instanceof TimestampType || type instanceof TimestampNTZType) {
      Platform.putLong(b, slot, (Long) value);
    } else if (type instanceof IntegerType || type instanceof DateType) {
      Platform.putInt(b, slot, (Integer) value);
    } else if (type instanceof DoubleType) {
      Platform.putDouble(b, slot, (Double) value);
    } else if (type instanceof BooleanType) {
      Platform.putBoolean(b, slot, (Boolean) value);
    } else if (type instanceof ShortType) {
      Platform.putShort(b, slot, (Short) value);
    } else if (type instanceof ByteType) {
      Platform.putByte(b, slot, (Byte) value);
    } else if (type instanceof FloatType) {
      Platform.putFloat(b, slot, (Float) value);
    } else {
      Platform.putLong(b, slot, ((Decimal) value).toUnscaledLong());
    }
    return out;
  }
}
