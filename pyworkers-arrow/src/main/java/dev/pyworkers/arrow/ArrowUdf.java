package dev.pyworkers.arrow;

import dev.pyworkers.PythonFunction;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * One scalar Arrow or pandas UDF: its chain of functions (innermost first; only the innermost gets the arguments,
 * as with {@link dev.pyworkers.PythonUdf}), the input columns it reads (their offsets in each input batch), and the
 * Arrow type it is declared to return, against which every result batch is checked. Immutable.
 */
public final class ArrowUdf {
  private final List<PythonFunction> chain;
  private final int[] argOffsets;
  private final ArrowType resultType;

  private ArrowUdf(List<PythonFunction> chain, ArrowType resultType, int[] argOffsets) {
    if (chain.isEmpty() || chain.size() > 100) {
      throw new IllegalArgumentException("an ArrowUdf chains 1 to 100 functions, got " + chain.size());
    }
    if (argOffsets.length > 1000) {
      throw new IllegalArgumentException("an ArrowUdf reads at most 1000 columns, got " + argOffsets.length);
    }
    for (int o : argOffsets) {
      if (o < 0) {
        throw new IllegalArgumentException("argument offset " + o + " of UDF " + chain.get(chain.size() - 1)
            .functionName() + " must be >= 0: it is a column index of the input batches");
      }
    }
    this.chain = List.copyOf(chain);
    this.resultType = Objects.requireNonNull(resultType, "resultType");
    this.argOffsets = argOffsets.clone();
  }

  /** {@code function} over the columns at {@code argOffsets}, declared to return {@code resultType}. */
  public static ArrowUdf of(PythonFunction function, ArrowType resultType, int... argOffsets) {
    return new ArrowUdf(List.of(Objects.requireNonNull(function, "function")), resultType, argOffsets);
  }

  /** A chain {@code f(g(*args))}, innermost ({@code g}) first. */
  public static ArrowUdf chain(List<PythonFunction> chain, ArrowType resultType, int... argOffsets) {
    return new ArrowUdf(chain, resultType, argOffsets);
  }

  public List<PythonFunction> functions() {
    return chain;
  }

  public int[] argOffsets() {
    return argOffsets.clone();
  }

  public ArrowType resultType() {
    return resultType;
  }

  /** The outermost function's name, for messages. */
  public String name() {
    PythonFunction f = chain.get(chain.size() - 1);
    if (f.functionName() != null) return f.functionName();
    return f.text() != null ? f.text() : "<cloudpickled>";
  }

  @Override
  public String toString() {
    return "ArrowUdf[" + name() + Arrays.toString(argOffsets) + " -> " + resultType + "]";
  }
}
