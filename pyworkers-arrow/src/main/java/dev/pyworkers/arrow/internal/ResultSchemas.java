package dev.pyworkers.arrow.internal;

import java.util.List;
import org.apache.arrow.vector.ipc.message.ArrowFieldNode;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * How a worker's result schema must meet the declared one. A record batch message carries buffers, not types: the
 * JVM loads it into vectors of the declared schema, so a child type that differs (a {@code list<int32>} for a
 * declared {@code list<int64>}) would be read as the wrong values. Types are therefore compared all the way down:
 * the same Arrow type at every level (unit, zone, precision and scale included), the same number of children, and
 * the same child names inside a struct (list and map children may be named differently: pyarrow says {@code item}
 * and {@code entries}, Arrow Java {@code $data$}). A dictionary-encoded result column is refused: the frames carry
 * no dictionary batches. Nullability is not part of the shape; a declared non-nullable column is checked per batch
 * instead ({@link #nullsInNonNullable}). Stateless.
 */
public final class ResultSchemas {
  private ResultSchemas() {}

  /**
   * Null when {@code got} has the shape of {@code want} (top-level names compared when {@code names}), else what
   * differs first, naming the column path and both types.
   */
  public static String mismatch(Schema want, Schema got, boolean names) {
    List<Field> w = want.getFields();
    List<Field> g = got.getFields();
    if (w.size() != g.size()) {
      return g.size() + " columns where " + w.size() + " are declared";
    }
    for (int i = 0; i < w.size(); i++) {
      if (names && !w.get(i).getName().equals(g.get(i).getName())) {
        return "column " + i + " is named '" + g.get(i).getName() + "' where '" + w.get(i).getName()
            + "' is declared";
      }
      String m = mismatch(w.get(i), g.get(i), w.get(i).getName());
      if (m != null) return m;
    }
    return null;
  }

  /** Null when field {@code got} has the shape of {@code want}, else what differs, at {@code path}. */
  public static String mismatch(Field want, Field got, String path) {
    if (got.getDictionary() != null) {
      return "'" + path + "' is dictionary-encoded (" + got.getType() + " indices of " + got.getDictionary()
          + "); decode it to its value type first, for example with pyarrow's array.dictionary_decode()";
    }
    if (!want.getType().equals(got.getType())) {
      return "'" + path + "' is " + show(got) + " where " + show(want) + " is declared";
    }
    List<Field> w = want.getChildren();
    List<Field> g = got.getChildren();
    if (w.size() != g.size()) {
      return "'" + path + "' has " + g.size() + " children " + show(got) + " where " + show(want) + " is declared";
    }
    boolean struct = want.getType() instanceof ArrowType.Struct;
    for (int i = 0; i < w.size(); i++) {
      if (struct && !w.get(i).getName().equals(g.get(i).getName())) {
        return "field " + i + " of struct '" + path + "' is named '" + g.get(i).getName() + "' where '"
            + w.get(i).getName() + "' is declared";
      }
      String m = mismatch(w.get(i), g.get(i), path + "." + (struct ? w.get(i).getName() : childName(want)));
      if (m != null) return m;
    }
    return null;
  }

  private static String childName(Field parent) {
    return parent.getType() instanceof ArrowType.Map ? "entries" : "item";
  }

  /** A field's type with its children, as {@code List<Int(64, true)>}. */
  static String show(Field f) {
    if (f.getChildren().isEmpty()) return f.getType().toString();
    StringBuilder b = new StringBuilder(f.getType().toString()).append('<');
    boolean struct = f.getType() instanceof ArrowType.Struct;
    for (int i = 0; i < f.getChildren().size(); i++) {
      if (i > 0) b.append(", ");
      Field c = f.getChildren().get(i);
      if (struct) b.append(c.getName()).append(": ");
      b.append(show(c));
    }
    return b.append('>').toString();
  }

  /**
   * Null when no field declared non-nullable has a null in {@code batch} (its field nodes, depth first, as the
   * message lists them), else the first such field's path and null count.
   */
  public static String nullsInNonNullable(Schema schema, ArrowRecordBatch batch) {
    List<ArrowFieldNode> nodes = batch.getNodes();
    int[] next = {0};
    for (Field f : schema.getFields()) {
      String m = nulls(f, f.getName(), nodes, next);
      if (m != null) return m;
    }
    return null;
  }

  private static String nulls(Field f, String path, List<ArrowFieldNode> nodes, int[] next) {
    if (next[0] >= nodes.size()) return null; // VectorLoader reports the short batch
    ArrowFieldNode node = nodes.get(next[0]++);
    if (!f.isNullable() && node.getNullCount() > 0) {
      return "'" + path + "' is declared not nullable, but holds " + node.getNullCount() + " nulls";
    }
    for (Field c : f.getChildren()) {
      String m = nulls(c, path + "." + c.getName(), nodes, next);
      if (m != null) return m;
    }
    return null;
  }
}
