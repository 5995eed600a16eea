package dev.pyworkers.bench;

import dev.pyworkers.ReturnType;

/**
 * The Python functions {@link ThroughputBenchmark} pushes rows through, each with its input values, its source text
 * (the very text both the workers and the in-process baseline run) and an exact check of its result. Row {@code i}
 * (counted from 0) holds {@code i} for the number functions and {@code "row" + i} for the string function.
 * Immutable and thread-safe.
 */
enum ThroughputFunction {
  IDENTITY("identity", "x", "def identity(x):\n    return x\n", ReturnType.LONG),
  INC("inc", "x + 1", "def inc(x):\n    return x + 1\n", ReturnType.LONG),
  STR("str", "s.upper()", "def upper(s):\n    return s.upper()\n", ReturnType.STRING);

  private final String key;
  private final String expression;
  private final String source;
  // ReturnType is immutable (its class comment); Error Prone trusts only @Immutable, which core does not depend on
  @SuppressWarnings("ImmutableEnumChecker")
  private final ReturnType returnType;

  ThroughputFunction(String key, String expression, String source, ReturnType returnType) {
    this.key = key;
    this.expression = expression;
    this.source = source;
    this.returnType = returnType;
  }

  /** The short name used in the table and the JSON keys: identity, inc, str. */
  String key() {
    return key;
  }

  /** What the function computes, for the table: {@code x + 1}. */
  String expression() {
    return expression;
  }

  /** Python source defining the function {@link #functionName()}. */
  String source() {
    return source;
  }

  /** The name {@link #source()} defines. */
  String functionName() {
    return source.substring("def ".length(), source.indexOf('('));
  }

  ReturnType returnType() {
    return returnType;
  }

  /** True for the string function: its values are {@code "row" + i}. */
  boolean stringInput() {
    return this == STR;
  }

  /**
   * The NON_UDF function over the same values: {@code map(f, it)}, the shape PySpark's {@code rdd.map(f)} ships to
   * its workers, the worker-side twin of the baseline's {@code for v in values: out.append(f(v))}.
   */
  String nonUdfSource() {
    return source + "\n\ndef run(index, it):\n    return map(" + functionName() + ", it)\n";
  }

  /** The input value of row {@code i}. */
  Object input(long i) {
    return stringInput() ? "row" + i : (Object) i;
  }

  /**
   * Whether {@code result} is exactly what the function gives for row {@code i}: {@code i}, {@code i + 1} or
   * {@code "ROW" + i}. Allocation-free, so checking every row costs the reading thread a few nanoseconds. NON_UDF
   * results are unpickled by {@link dev.pyworkers.Pickles}, which may give an Integer for a small int, so any
   * integral Integer or Long passes for the number functions.
   */
  boolean matches(long i, Object result) {
    return switch (this) {
      case IDENTITY -> isLong(result, i);
      case INC -> isLong(result, i + 1);
      case STR -> result instanceof String s && isPrefixedNumber(s, "ROW", i);
    };
  }

  private static boolean isLong(Object v, long expected) {
    return (v instanceof Long l && l == expected) || (v instanceof Integer n && n == expected);
  }

  /** {@code s.equals(prefix + n)} for {@code n >= 0}, without building the expected string. */
  static boolean isPrefixedNumber(String s, String prefix, long n) {
    if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
    int digits = 1;
    for (long rest = n / 10; rest > 0; rest /= 10) digits++;
    if (s.length() != prefix.length() + digits || !s.startsWith(prefix)) return false;
    long rest = n;
    for (int at = s.length() - 1; at >= prefix.length(); at--) {
      if (s.charAt(at) != (char) ('0' + rest % 10)) return false;
      rest /= 10;
    }
    return true;
  }
}
