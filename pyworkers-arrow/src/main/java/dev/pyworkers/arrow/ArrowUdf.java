package dev.pyworkers.arrow;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.arrow.internal.MapUdf;
import dev.pyworkers.spi.Commands;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One scalar Arrow or pandas UDF: its chain of functions (innermost first; only the innermost gets the arguments,
 * as with {@link dev.pyworkers.PythonUdf}), the input columns it reads (their offsets in each input batch), and the
 * Arrow type it is declared to return, against which every result batch is checked, children included. A nested
 * type (list, struct, map) is declared as a {@link Field} with its children; its name is replaced by the result
 * column's ({@code _i}). Immutable.
 */
public final class ArrowUdf {
  private final List<PythonFunction> chain;
  private final int[] argOffsets;
  private final Field resultField;

  private ArrowUdf(List<PythonFunction> chain, Field resultField, int[] argOffsets) {
    if (chain.isEmpty() || chain.size() > 100) {
      throw new IllegalArgumentException("an ArrowUdf chains 1 to 100 functions, got " + chain.size());
    }
    if (argOffsets.length > 1000) {
      throw new IllegalArgumentException("an ArrowUdf reads at most 1000 columns, got " + argOffsets.length);
    }
    for (int o : argOffsets) {
      if (o < 0) {
        throw new IllegalArgumentException("argument offset " + o + " of UDF "
            + MapUdf.nameOf(chain.get(chain.size() - 1)) + " must be >= 0: it is a column index of the input batches");
      }
    }
    this.chain = List.copyOf(chain);
    this.resultField = Objects.requireNonNull(resultField, "resultField");
    this.argOffsets = argOffsets.clone();
  }

  /**
   * {@code function} over the columns at {@code argOffsets}, declared to return {@code resultType}, a type without
   * children; declare a list, struct or map with {@link #of(PythonFunction, Field, int...)}.
   */
  public static ArrowUdf of(PythonFunction function, ArrowType resultType, int... argOffsets) {
    return new ArrowUdf(List.of(Objects.requireNonNull(function, "function")), leaf(resultType), argOffsets);
  }

  /**
   * {@code function} declared to return values of {@code result}'s type, nullability and children (any name): a
   * list or map has one child, a struct at least one; a dictionary encoding is refused, as results carry none.
   */
  public static ArrowUdf of(PythonFunction function, Field result, int... argOffsets) {
    return new ArrowUdf(List.of(Objects.requireNonNull(function, "function")), checked(result), argOffsets);
  }

  /** A chain {@code f(g(*args))}, innermost ({@code g}) first. */
  public static ArrowUdf chain(List<PythonFunction> chain, ArrowType resultType, int... argOffsets) {
    return new ArrowUdf(chain, leaf(resultType), argOffsets);
  }

  /** A chain {@code f(g(*args))}, innermost ({@code g}) first, declared to return {@code result}'s type. */
  public static ArrowUdf chain(List<PythonFunction> chain, Field result, int... argOffsets) {
    return new ArrowUdf(chain, checked(result), argOffsets);
  }

  /** A declared result field, checked all the way down. */
  private static Field checked(Field result) {
    Objects.requireNonNull(result, "result");
    check(result, "result " + result);
    return result;
  }

  private static void check(Field f, String what) {
    if (f.getDictionary() != null) {
      throw new IllegalArgumentException(what + " is dictionary-encoded (" + f.getName() + "), which a result"
          + " cannot be: the result frames carry no dictionary batches; declare the value type instead");
    }
    ArrowType t = f.getType();
    int children = f.getChildren().size();
    String rule = null;
    if (t instanceof ArrowType.List || t instanceof ArrowType.LargeList || t instanceof ArrowType.FixedSizeList
        || t instanceof ArrowType.Map) {
      if (children != 1) rule = "a " + t.getTypeID() + " has exactly one";
    } else if (t instanceof ArrowType.Struct) {
      if (children == 0) rule = "a struct has at least one";
    } else if (children != 0) {
      rule = "a " + t.getTypeID() + " has none";
    }
    if (rule != null) {
      throw new IllegalArgumentException(what + ": its field " + f.getName() + " of type " + t + " has " + children
          + " children, but " + rule + "; for example new Field(\"r\", FieldType.nullable(new ArrowType.List()),"
          + " List.of(Field.nullable(\"item\", new ArrowType.Int(64, true))))");
    }
    for (Field c : f.getChildren()) check(c, what);
  }

  private static Field leaf(ArrowType type) {
    Objects.requireNonNull(type, "resultType");
    if (type.isComplex()) {
      throw new IllegalArgumentException("result type " + type + " has children, which an ArrowType alone does not"
          + " declare; pass a Field with its children instead, for example new Field(\"r\", FieldType.nullable("
          + type + "), List.of(Field.nullable(\"item\", new ArrowType.Int(64, true))))");
    }
    return new Field("result", FieldType.nullable(type), null);
  }

  public List<PythonFunction> functions() {
    return chain;
  }

  public int[] argOffsets() {
    return argOffsets.clone();
  }

  public ArrowType resultType() {
    return resultField.getType();
  }

  /** The result column {@code name}: the declared type, nullability and children. */
  Field resultColumn(String name) {
    return new Field(name, resultField.getFieldType(), resultField.getChildren());
  }

  /** The declared result, with the children of a nested type. */
  public Field resultField() {
    return resultField;
  }

  /** The outermost function's name, for messages. */
  public String name() {
    return MapUdf.nameOf(chain.get(chain.size() - 1));
  }

  /** Writes this UDF's part of a command (docs/protocol.md section 7.1): its argument offsets, then its chain. */
  void writeCommand(DataOutputStream out) throws IOException {
    out.writeInt(argOffsets.length);
    for (int o : argOffsets) out.writeInt(o);
    Commands.writeChain(out, chain);
  }

  /**
   * A copy of {@code udfs}, the UDFs of one {@code evalType} codec; fails naming the eval type and the count (then
   * {@code hint}) unless there are 1 to 1000.
   */
  static List<ArrowUdf> checkedCopy(EvalType evalType, List<ArrowUdf> udfs, String hint) {
    if (udfs.isEmpty() || udfs.size() > 1000) {
      throw new IllegalArgumentException(evalType + " runs 1 to 1000 UDFs, got " + udfs.size() + hint);
    }
    return List.copyOf(udfs);
  }

  /** The result schema of {@code udfs}: columns {@code _0.._{n-1}}, of their declared result fields. */
  static Schema resultSchema(List<ArrowUdf> udfs) {
    List<Field> fields = new ArrayList<>();
    for (int i = 0; i < udfs.size(); i++) fields.add(udfs.get(i).resultColumn("_" + i));
    return new Schema(fields);
  }

  /** The functions of every UDF's chain, UDF after UDF. */
  static List<PythonFunction> functions(List<ArrowUdf> udfs) {
    List<PythonFunction> all = new ArrayList<>();
    for (ArrowUdf u : udfs) all.addAll(u.functions());
    return all;
  }

  /** The names of {@code udfs}, for messages, as {@code [f, g]}. */
  static String names(List<ArrowUdf> udfs) {
    return udfs.stream().map(ArrowUdf::name).toList().toString();
  }

  @Override
  public String toString() {
    return "ArrowUdf[" + name() + Arrays.toString(argOffsets) + " -> " + resultField.getType() + "]";
  }
}
