package dev.pyworkers.arrow;

import java.io.DataOutputStream;
import java.io.IOException;
import java.util.OptionalInt;

/**
 * The frame of one window UDF of {@link WindowAggCodec}: the rows of its partition it is called over, for each
 * row. Three kinds:
 *
 * <ul>
 *   <li>{@link #unbounded()}: the whole partition; the function is called once per partition and its value is the
 *       result of every row;
 *   <li>{@link #rows(int, int)} and the two half-unbounded variants: {@code ROWS BETWEEN start AND end}, relative
 *       to the current row ({@code rows(-2, 0)} is {@code 2 PRECEDING AND CURRENT ROW}); the function is called
 *       once per row {@code i} over the rows {@code [i + start, i + end + 1)} clamped to the partition, which may
 *       be empty (at the partition's edges, or for {@code rows(1, 2)} on its last row);
 *   <li>{@link #bounds(int, int)}: two int32 columns of the input give each row's frame {@code [lower, upper)} as
 *       row indices into its partition (as an engine computes RANGE frames); the worker checks {@code 0 <= lower
 *       <= upper <= rows} and that neither is null.
 * </ul>
 *
 * Immutable.
 */
public final class WindowFrame {
  /** What a frame is relative to. */
  public enum Kind {
    /** The whole partition. */
    UNBOUNDED(0),
    /** Offsets from the current row. */
    ROWS(1),
    /** Per-row bounds in two input columns. */
    BOUNDS(2);

    private final int code;

    Kind(int code) {
      this.code = code;
    }

    /** Its number in the command (docs/protocol.md section 7.7). */
    public int code() {
      return code;
    }
  }

  // on the wire only (docs/protocol.md 7.7): an end this far away is unbounded, as a partition has < 2^31 rows
  static final int UNBOUNDED_PRECEDING = Integer.MIN_VALUE;
  static final int UNBOUNDED_FOLLOWING = Integer.MAX_VALUE;
  private static final WindowFrame WHOLE = new WindowFrame(Kind.UNBOUNDED, 0, 0);

  private final Kind kind;
  private final int first;
  private final int second;

  private WindowFrame(Kind kind, int first, int second) {
    this.kind = kind;
    this.first = first;
    this.second = second;
  }

  /** The whole partition ({@code ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING}). */
  public static WindowFrame unbounded() {
    return WHOLE;
  }

  /** {@code ROWS BETWEEN start AND end}, offsets from the current row (negative before it); {@code start <= end}. */
  public static WindowFrame rows(int start, int end) {
    if (start > end) {
      throw new IllegalArgumentException("a ROWS frame from " + start + " to " + end + " ends before it starts;"
          + " give start <= end (offsets from the current row, negative before it)");
    }
    if (end == UNBOUNDED_PRECEDING || start == UNBOUNDED_FOLLOWING) {
      throw new IllegalArgumentException("a ROWS frame from " + start + " to " + end + " lies wholly beyond the"
          + " partition's rows, which number below 2^31");
    }
    return new WindowFrame(Kind.ROWS, start, end);
  }

  /** {@code ROWS BETWEEN UNBOUNDED PRECEDING AND end} (a running aggregate for {@code end = 0}). */
  public static WindowFrame rowsUnboundedPreceding(int end) {
    if (end == UNBOUNDED_PRECEDING) {
      throw new IllegalArgumentException("a ROWS frame cannot end at " + end + " (that is UNBOUNDED PRECEDING)");
    }
    return new WindowFrame(Kind.ROWS, UNBOUNDED_PRECEDING, end);
  }

  /** {@code ROWS BETWEEN start AND UNBOUNDED FOLLOWING}. */
  public static WindowFrame rowsUnboundedFollowing(int start) {
    if (start == UNBOUNDED_FOLLOWING) {
      throw new IllegalArgumentException("a ROWS frame cannot start at " + start + " (that is UNBOUNDED"
          + " FOLLOWING)");
    }
    return new WindowFrame(Kind.ROWS, start, UNBOUNDED_FOLLOWING);
  }

  /**
   * Each row's frame {@code [lower, upper)} is given by the int32 input columns {@code lowerColumn} and {@code
   * upperColumn}: row indices into the row's partition.
   */
  public static WindowFrame bounds(int lowerColumn, int upperColumn) {
    if (lowerColumn < 0 || upperColumn < 0) {
      throw new IllegalArgumentException("window bound columns " + lowerColumn + " and " + upperColumn + " must be"
          + " >= 0: they are column indices of the input batches");
    }
    return new WindowFrame(Kind.BOUNDS, lowerColumn, upperColumn);
  }

  public Kind kind() {
    return kind;
  }

  /** A ROWS frame's start offset; empty when unbounded preceding, or for another kind. */
  public OptionalInt start() {
    return kind == Kind.ROWS && first != UNBOUNDED_PRECEDING ? OptionalInt.of(first) : OptionalInt.empty();
  }

  /** A ROWS frame's end offset; empty when unbounded following, or for another kind. */
  public OptionalInt end() {
    return kind == Kind.ROWS && second != UNBOUNDED_FOLLOWING ? OptionalInt.of(second) : OptionalInt.empty();
  }

  /** A BOUNDS frame's lower bound column, else -1. */
  public int lowerColumn() {
    return kind == Kind.BOUNDS ? first : -1;
  }

  /** A BOUNDS frame's upper bound column, else -1. */
  public int upperColumn() {
    return kind == Kind.BOUNDS ? second : -1;
  }

  /** docs/protocol.md section 7.7: {@code int} kind, then two {@code int}s for ROWS and BOUNDS. */
  void write(DataOutputStream out) throws IOException {
    out.writeInt(kind.code());
    if (kind != Kind.UNBOUNDED) {
      out.writeInt(first);
      out.writeInt(second);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WindowFrame f && f.kind == kind && f.first == first && f.second == second;
  }

  @Override
  public int hashCode() {
    return (kind.hashCode() * 31 + first) * 31 + second;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case UNBOUNDED -> "WindowFrame[unbounded]";
      case ROWS -> "WindowFrame[rows " + (first == UNBOUNDED_PRECEDING ? "unbounded preceding" : first) + " to "
          + (second == UNBOUNDED_FOLLOWING ? "unbounded following" : second) + "]";
      case BOUNDS -> "WindowFrame[bounds in columns " + first + ", " + second + "]";
    };
  }
}
