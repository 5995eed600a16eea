package dev.pyworkers.bench;

import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.ReturnType;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerMode;
import dev.pyworkers.WorkerRegistry;
import dev.pyworkers.arrow.ArrowGroups;
import dev.pyworkers.arrow.ArrowUdf;
import dev.pyworkers.arrow.GroupedMapCodec;
import dev.pyworkers.arrow.ScalarArrowCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The Arrow path against the row path and against pandas in one plain Python process, all in one run on one pooled
 * worker. Run it with
 *
 * <pre>  bin/pyworkers bench arrow --json</pre>
 *
 * <ol>
 *   <li><b>pandas scalar</b>: SQL_SCALAR_PANDAS_UDF {@code s + 1} over {@code rows} int64 values in batches of
 *       {@code batchRows}; the JVM makes the batches before the clock starts and checks every result value.
 *   <li><b>row path</b>: the same function, {@code x + 1}, through SQL_BATCHED_UDF over the same values as rows of one
 *       {@code Long} (made as they are sent, in batches of 4096), every result checked.
 *   <li><b>in-process pandas</b>: the same pandas function in one plain Python process over the same batches, already
 *       in memory as pyarrow: per batch {@code to_pandas()}, the function, {@code pa.Array.from_pandas} — the limit
 *       for the worker, which does that plus the socket and the IPC messages.
 *   <li><b>identity</b>: SQL_SCALAR_ARROW_UDF with eight identity UDFs over 4 int64 and 4 float64 columns; the
 *       data's bytes (8 per value, one way) over the task's time, every result checked.
 *   <li><b>grouped map</b>: applyInPandas (201) and applyInArrow (209) with an identity function over {@code groups}
 *       groups of 10 rows (an int64 key and a float64 value), grouped by {@link ArrowGroups#sortedBy} from batches of
 *       10,000 rows; microseconds per group; every result row checked, in order.
 * </ol>
 *
 * Each case is timed {@code repeat} times after one unmeasured warm-up task (for the grouped cases, one of at most
 * 1,000 groups) and reported as the median. Arrow memory comes from one root allocator, which must be
 * empty when the run ends. Not thread-safe: one run at a time.
 */
public final class ArrowBenchmark {
  private static final String INPROCESS_SCRIPT = String.join("\n",
      "import sys, time",
      "import pyarrow as pa",
      "rows, batch_rows, repeat = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])",
      "batches = [pa.array(range(s, min(s + batch_rows, rows)), type=pa.int64()) for s in range(0, rows, batch_rows)]",
      "def f(s):",
      "    return s + 1",
      "def once():",
      "    t = time.perf_counter()",
      "    n = 0",
      "    for b in batches:",
      "        out = pa.Array.from_pandas(f(b.to_pandas()), type=pa.int64(), safe=True)",
      "        n += len(out)",
      "    assert n == rows",
      "    return time.perf_counter() - t",
      "once()",
      "print(' '.join(repr(once()) for _ in range(repeat)))",
      "");

  private final ArrowBenchOptions options;
  private final Consumer<String> progress;

  public ArrowBenchmark(ArrowBenchOptions options, Consumer<String> progress) {
    this.options = options;
    this.progress = progress;
  }

  public ArrowBenchResult run() throws IOException, InterruptedException {
    PythonInterpreter python = PythonInterpreter.resolve(options.python());
    progress.accept("python: " + python.describe());
    WorkerConfig config = WorkerConfig.builder().mode(WorkerMode.DAEMON).build();
    double pandas;
    double rowPath;
    double identity;
    double groupedPandas;
    double groupedArrow;
    try (BufferAllocator root = new RootAllocator();
        WorkerRegistry registry = WorkerRegistry.create(config)) {
      pandas = pandasScalar(root, registry, python.executable());
      rowPath = rowPath(registry, python.executable());
      identity = identity(root, registry, python.executable());
      groupedPandas = groupedMap(root, registry, python.executable(), true);
      groupedArrow = groupedMap(root, registry, python.executable(), false);
      if (root.getAllocatedMemory() != 0) {
        throw new IllegalStateException("the benchmark left " + root.getAllocatedMemory() + " bytes of Arrow memory");
      }
    }
    double inProcess = inProcessPandas(python.executable());
    return new ArrowBenchResult(python.executable(), python.version(), options.rows(), options.batchRows(),
        options.repeat(), options.rows() / pandas, options.rows() / rowPath, options.rows() / inProcess,
        8.0 * 8 * options.rows() / identity / 1e9, options.groups(), groupedPandas * 1e6 / options.groups(),
        groupedArrow * 1e6 / options.groups());
  }

  /** Median seconds of the pandas scalar task. */
  private double pandasScalar(BufferAllocator root, WorkerRegistry registry, String python) {
    progress.accept("pandas scalar: " + options.rows() + " int64 rows, s + 1 ...");
    PythonFunction f = PythonFunction.source("def plus_one(s):\n    return s + 1\n", "plus_one")
        .withPythonExecutable(python);
    List<VectorSchemaRoot> batches = int64Batches(root, 1);
    try (PythonRunner runner = PythonRunner.builder(registry)
        .evalType(ScalarArrowCodec.pandas(root, List.of(ArrowUdf.of(f, new ArrowType.Int(64, true), 0)))).build()) {
      double s = timed("pandas scalar", () -> checkScalar(runner, batches, 1, false));
      return s;
    } finally {
      batches.forEach(VectorSchemaRoot::close);
    }
  }

  /** Median seconds of the identity task over 4 int64 and 4 float64 columns. */
  private double identity(BufferAllocator root, WorkerRegistry registry, String python) {
    progress.accept("identity: " + options.rows() + " rows of 4 int64 and 4 float64 columns ...");
    PythonFunction f = PythonFunction.source("def same(a):\n    return a\n", "same").withPythonExecutable(python);
    List<ArrowUdf> udfs = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      ArrowType t = c < 4 ? new ArrowType.Int(64, true) : new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
      udfs.add(ArrowUdf.of(f, t, c));
    }
    List<VectorSchemaRoot> batches = int64Batches(root, 8);
    try (PythonRunner runner = PythonRunner.builder(registry).evalType(ScalarArrowCodec.arrow(root, udfs)).build()) {
      return timed("identity", () -> checkScalar(runner, batches, 0, true));
    } finally {
      batches.forEach(VectorSchemaRoot::close);
    }
  }

  /** Median seconds of a grouped map task over {@code groups} groups of 10 rows, with an identity function. */
  private double groupedMap(BufferAllocator root, WorkerRegistry registry, String python, boolean pandas) {
    String name = pandas ? "applyInPandas" : "applyInArrow";
    progress.accept(name + ": " + options.groups() + " groups of " + ArrowBenchOptions.GROUP_ROWS
        + " rows, identity ...");
    PythonFunction f = PythonFunction.source("def same(group):\n    return group\n", "same")
        .withPythonExecutable(python);
    Schema schema = new Schema(List.of(Field.nullable("k", new ArrowType.Int(64, true)),
        Field.nullable("v", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
    long rows = (long) options.groups() * ArrowBenchOptions.GROUP_ROWS;
    List<VectorSchemaRoot> batches = groupBatches(root, rows);
    List<VectorSchemaRoot> warmUp = groupBatches(root, Math.min(rows, 1_000L * ArrowBenchOptions.GROUP_ROWS));
    GroupedMapCodec.Builder b = GroupedMapCodec.builder(root, f, schema).keyColumns(0);
    try (PythonRunner runner = PythonRunner.builder(registry).evalType(pandas ? b.pandas() : b.arrow()).build()) {
      checkGroups(runner, warmUp, name);
      double[] seconds = new double[options.repeat()];
      for (int i = 0; i < seconds.length; i++) {
        long t0 = System.nanoTime();
        checkGroups(runner, batches, name);
        seconds[i] = (System.nanoTime() - t0) / 1e9;
      }
      double median = median(seconds);
      progress.accept(String.format(Locale.ROOT, "%s: done, median %.3f s (%s)", name, median,
          Arrays.toString(seconds)));
      return median;
    } finally {
      batches.forEach(VectorSchemaRoot::close);
      warmUp.forEach(VectorSchemaRoot::close);
    }
  }

  /** One grouped map task: the identity's results must be the input rows, in order. */
  private static void checkGroups(PythonRunner runner, List<VectorSchemaRoot> batches, String name) {
    long expected = 0;
    for (VectorSchemaRoot b : batches) expected += b.getRowCount();
    long row = 0;
    try (TaskResults<Object> out = runner.compute(ArrowGroups.sortedBy(batches.iterator(), 0), 0,
        TaskContext.of(0))) {
      while (out.hasNext()) {
        try (VectorSchemaRoot r = (VectorSchemaRoot) out.next()) {
          BigIntVector k = (BigIntVector) r.getVector(0);
          Float8Vector v = (Float8Vector) r.getVector(1);
          for (int i = 0; i < r.getRowCount(); i++, row++) {
            if (k.get(i) != row / ArrowBenchOptions.GROUP_ROWS || v.get(i) != (double) row) {
              throw new IllegalStateException(name + " result row " + row + " is (" + k.get(i) + ", " + v.get(i)
                  + "), expected (" + row / ArrowBenchOptions.GROUP_ROWS + ", " + (double) row + ")");
            }
          }
        }
      }
    }
    if (row != expected) throw new IllegalStateException(name + " gave " + row + " rows for " + expected);
  }

  /** {@code rows} rows (key = row / 10, value = row) in batches of 10,000. */
  private static List<VectorSchemaRoot> groupBatches(BufferAllocator root, long rows) {
    List<VectorSchemaRoot> batches = new ArrayList<>();
    for (long start = 0; start < rows; start += 10_000) {
      int n = (int) Math.min(10_000, rows - start);
      BigIntVector k = new BigIntVector("k", root);
      Float8Vector v = new Float8Vector("v", root);
      k.allocateNew(n);
      v.allocateNew(n);
      for (int i = 0; i < n; i++) {
        k.set(i, (start + i) / ArrowBenchOptions.GROUP_ROWS);
        v.set(i, (double) (start + i));
      }
      k.setValueCount(n);
      v.setValueCount(n);
      batches.add(new VectorSchemaRoot(List.<FieldVector>of(k, v)));
    }
    return batches;
  }

  /** Median seconds of the row-path task. */
  private double rowPath(WorkerRegistry registry, String python) {
    progress.accept("row path: " + options.rows() + " rows, x + 1 through SQL_BATCHED_UDF ...");
    PythonFunction f = PythonFunction.source("def plus_one(x):\n    return x + 1\n", "plus_one")
        .withPythonExecutable(python).withReturnType(ReturnType.LONG);
    try (PythonRunner runner = PythonRunner.builder(registry).batchSize(4096)
        .udf(PythonUdf.of(new int[] {0}, f)).build()) {
      return timed("row path", () -> {
        long n = 0;
        try (TaskResults<Object> out = runner.compute(rows(options.rows()), 0, TaskContext.of(0))) {
          while (out.hasNext()) {
            Object v = out.next();
            if (!(v instanceof Long l) || l != n + 1) {
              throw new IllegalStateException("row path result " + n + " is " + v + ", expected " + (n + 1));
            }
            n++;
          }
        }
        if (n != options.rows()) throw new IllegalStateException("row path gave " + n + " results for " + options.rows());
      });
    }
  }

  /** One scalar task over {@code batches}: every result value must be its input plus {@code plus}. */
  private void checkScalar(PythonRunner runner, List<VectorSchemaRoot> batches, long plus, boolean allColumns) {
    long rows = 0;
    int batch = 0;
    try (TaskResults<Object> out = runner.compute(batches.iterator(), 0, TaskContext.of(0))) {
      while (out.hasNext()) {
        try (VectorSchemaRoot r = (VectorSchemaRoot) out.next()) {
          VectorSchemaRoot in = batches.get(batch);
          if (r.getRowCount() != in.getRowCount()) {
            throw new IllegalStateException("result batch " + batch + " has " + r.getRowCount() + " rows, its input "
                + in.getRowCount());
          }
          int columns = allColumns ? in.getFieldVectors().size() : 1;
          for (int c = 0; c < columns; c++) check(in.getVector(c), r.getVector(c), plus, batch, c);
          rows += r.getRowCount();
          batch++;
        }
      }
    }
    if (rows != options.rows()) throw new IllegalStateException(rows + " result rows for " + options.rows());
  }

  /**
   * Every value of {@code out} must be its input's plus {@code plus}, and none null. The values are read through the
   * vectors' data buffers as a whole, as an engine's vectorized operator would, not value by value through
   * {@code get(i)} with its null and bounds checks (which cost more than the worker's whole answer).
   */
  private static void check(FieldVector in, FieldVector out, long plus, int batch, int column) {
    int n = in.getValueCount();
    if (out.getValueCount() != n || out.getNullCount() != 0 || in.getNullCount() != 0) {
      throw new IllegalStateException("result column " + column + " of batch " + batch + " has " + out.getValueCount()
          + " values and " + out.getNullCount() + " nulls, its input " + n + " values and no null");
    }
    if (in instanceof BigIntVector && out instanceof BigIntVector) {
      LongBuffer a = values(in, n).asLongBuffer();
      LongBuffer b = values(out, n).asLongBuffer();
      for (int i = 0; i < n; i++) {
        if (b.get(i) != a.get(i) + plus) throw wrong(batch, column, i, b.get(i), a.get(i) + plus);
      }
    } else if (in instanceof Float8Vector && out instanceof Float8Vector) {
      DoubleBuffer a = values(in, n).asDoubleBuffer();
      DoubleBuffer b = values(out, n).asDoubleBuffer();
      for (int i = 0; i < n; i++) {
        if (b.get(i) != a.get(i) + plus) throw wrong(batch, column, i, b.get(i), a.get(i) + plus);
      }
    } else {
      throw new IllegalStateException("result column " + column + " of batch " + batch + " is " + out.getField()
          + ", its input " + in.getField());
    }
  }

  /** The first {@code n} 8-byte values of a fixed-width vector's data buffer, in Arrow's little-endian order. */
  private static ByteBuffer values(FieldVector v, int n) {
    return v.getDataBuffer().nioBuffer(0, 8 * n).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static IllegalStateException wrong(int batch, int column, int row, Object got, Object expected) {
    return new IllegalStateException("result batch " + batch + " column " + column + " row " + row + " is " + got
        + ", expected " + expected);
  }

  /** Batches of {@code batchRows} consecutive values 0, 1, ...: {@code columns} columns, the first 4 int64. */
  private List<VectorSchemaRoot> int64Batches(BufferAllocator root, int columns) {
    List<VectorSchemaRoot> batches = new ArrayList<>();
    for (long start = 0; start < options.rows(); start += options.batchRows()) {
      int n = (int) Math.min(options.batchRows(), options.rows() - start);
      List<FieldVector> vectors = new ArrayList<>();
      for (int c = 0; c < columns; c++) {
        if (c < 4) {
          BigIntVector v = new BigIntVector("c" + c, root);
          v.allocateNew(n);
          for (int i = 0; i < n; i++) v.set(i, start + i);
          v.setValueCount(n);
          vectors.add(v);
        } else {
          Float8Vector v = new Float8Vector("c" + c, root);
          v.allocateNew(n);
          for (int i = 0; i < n; i++) v.set(i, (double) (start + i));
          v.setValueCount(n);
          vectors.add(v);
        }
      }
      batches.add(new VectorSchemaRoot(vectors));
    }
    return batches;
  }

  private static Iterator<Object[]> rows(long count) {
    return new Iterator<>() {
      private long next;

      @Override
      public boolean hasNext() {
        return next < count;
      }

      @Override
      public Object[] next() {
        if (next >= count) throw new NoSuchElementException();
        return new Object[] {next++};
      }
    };
  }

  /** One warm-up, then {@code repeat} timed runs of {@code task}; the median seconds. */
  private double timed(String name, Runnable task) {
    task.run();
    double[] seconds = new double[options.repeat()];
    for (int i = 0; i < seconds.length; i++) {
      long t0 = System.nanoTime();
      task.run();
      seconds[i] = (System.nanoTime() - t0) / 1e9;
    }
    double median = median(seconds);
    progress.accept(String.format(Locale.ROOT, "%s: done, median %.3f s (%s)", name, median, Arrays.toString(seconds)));
    return median;
  }

  /** The in-process pandas loop's median seconds, from a plain Python process. */
  private double inProcessPandas(String python) throws IOException, InterruptedException {
    progress.accept("in-process pandas: the same function over the same batches in one Python process ...");
    Process p = new ProcessBuilder(python, "-c", INPROCESS_SCRIPT, Long.toString(options.rows()),
        Integer.toString(options.batchRows()), Integer.toString(options.repeat())).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException("the in-process pandas loop did not end within 10 minutes");
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("the in-process pandas loop failed (exit " + p.exitValue() + "); is pyarrow"
          + " and pandas installed for " + python + "? Its output:\n" + out);
    }
    String[] parts = out.substring(out.lastIndexOf('\n') + 1).trim().split(" ");
    double[] seconds = new double[parts.length];
    for (int i = 0; i < parts.length; i++) seconds[i] = Double.parseDouble(parts[i]);
    double median = median(seconds);
    progress.accept(String.format(Locale.ROOT, "in-process pandas: done, median %.3f s (%s)", median,
        Arrays.toString(seconds)));
    return median;
  }

  static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
}
