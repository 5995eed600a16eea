package dev.pyworkers;

import java.util.Arrays;
import java.util.List;

/**
 * One SQL_BATCHED_UDF: a chain of functions {@code f(g(...))} (innermost first) and the row offsets of its
 * arguments. Only the innermost function gets the arguments; its result feeds the next. The last function's
 * {@link ReturnType} types the results. Immutable.
 */
public final class PythonUdf {
  private final List<PythonFunction> chain;
  private final int[] argOffsets;

  private PythonUdf(List<PythonFunction> chain, int[] argOffsets) {
    this.chain = chain;
    this.argOffsets = argOffsets;
  }

  /** {@code chain} is innermost first: {@code of(new int[] {0}, g, f)} computes {@code f(g(row[0]))}. */
  public static PythonUdf of(int[] argOffsets, PythonFunction... chain) {
    return of(argOffsets, List.of(chain));
  }

  public static PythonUdf of(int[] argOffsets, List<PythonFunction> chain) {
    if (chain.isEmpty() || chain.size() > 100) {
      throw new IllegalArgumentException("a UDF chains 1 to 100 functions, got " + chain.size());
    }
    if (argOffsets.length > 1000) {
      throw new IllegalArgumentException("a UDF takes at most 1000 arguments, got " + argOffsets.length);
    }
    for (int o : argOffsets) {
      if (o < 0) throw new IllegalArgumentException("argument offset " + o + " is negative; offsets index the row");
    }
    return new PythonUdf(List.copyOf(chain), argOffsets.clone());
  }

  public List<PythonFunction> chain() {
    return chain;
  }

  public int[] argOffsets() {
    return argOffsets.clone();
  }

  public ReturnType returnType() {
    return chain.get(chain.size() - 1).returnType();
  }

  /** What a result that does not fit {@link #returnType()} becomes; the last function's choice. */
  public OnMismatch onMismatch() {
    return chain.get(chain.size() - 1).onMismatch();
  }

  @Override
  public String toString() {
    return "PythonUdf{args=" + Arrays.toString(argOffsets) + ", chain=" + chain + "}";
  }
}
