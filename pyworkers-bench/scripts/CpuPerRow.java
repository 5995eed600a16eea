import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonRunner;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.ReturnType;
import dev.pyworkers.TaskContext;
import dev.pyworkers.TaskResults;
import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CPU time per row of the JVM and of the worker, and wall time per row, for one SQL_BATCHED_UDF function over N rows
 * in batches of 4096, six tasks on one pooled worker (the first is a warm-up). CPU time moves much less than wall
 * time on a shared machine, so this compares two builds where {@code bench throughput}'s ratios are too noisy. It uses
 * only the public API, so it runs against any build's jar, alternating:
 *
 * <pre>{@code
 * PYWORKERS_PYTHON=.venv/bin/python java -Xmx2g -cp OLD/pyworkers.jar pyworkers-bench/scripts/CpuPerRow.java 3000000 str
 * PYWORKERS_PYTHON=.venv/bin/python java -Xmx2g -cp NEW/pyworkers.jar pyworkers-bench/scripts/CpuPerRow.java 3000000 str
 * }</pre>
 *
 * Functions: {@code identity} ({@code x}), {@code inc} ({@code x + 1}), {@code str} ({@code str(x)}). Each line:
 * wall ns/row, the JVM's process CPU ns/row (all its threads, JIT and GC included) and the worker's CPU ns/row (from
 * {@code /proc/<pid>/stat}, 10 ms ticks, so use a few million rows). Every result is checked against the function.
 * Linux only.
 */
public final class CpuPerRow {
  public static void main(String[] args) throws Exception {
    if (args.length != 2) throw new IllegalArgumentException("usage: CpuPerRow ROWS identity|inc|str");
    int rows = Integer.parseInt(args[0]);
    String fn = args[1];
    String src = switch (fn) {
      case "identity" -> "def f(x):\n    return x\n";
      case "inc" -> "def f(x):\n    return x + 1\n";
      case "str" -> "def f(x):\n    return str(x)\n";
      default -> throw new IllegalArgumentException("function must be identity, inc or str, got " + fn);
    };
    ReturnType type = fn.equals("str") ? ReturnType.STRING : ReturnType.LONG;
    String python = System.getenv().getOrDefault("PYWORKERS_PYTHON", "python3");
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (WorkerRegistry registry = WorkerRegistry.create(WorkerConfig.defaults());
        PythonRunner runner = PythonRunner.builder(registry).pythonExecutable(python).batchSize(4096)
            .udf(PythonUdf.of(new int[] {0}, PythonFunction.source(src, "f").withReturnType(type))).build()) {
      long workerBefore = -1;
      for (int task = 0; task < 6; task++) {
        List<Object[]> input = new ArrayList<>(rows);
        for (long i = 0; i < rows; i++) input.add(new Object[] {i});
        long jvm0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        long n = 0;
        long pid;
        try (TaskResults<Object> out = runner.compute(input.iterator(), task, TaskContext.of(task))) {
          while (out.hasNext()) {
            Object v = out.next();
            Object expected = switch (fn) {
              case "identity" -> n;
              case "inc" -> n + 1;
              default -> Long.toString(n);
            };
            if (!expected.equals(v)) throw new IllegalStateException("row " + n + ": " + v + " != " + expected);
            n++;
          }
          pid = out.metrics().workerPid();
        }
        long wall = System.nanoTime() - t0;
        long jvm = os.getProcessCpuTime() - jvm0;
        long worker = cpuNanos(pid);
        if (n != rows) throw new IllegalStateException(n + " results for " + rows + " rows");
        if (task > 0) {
          System.out.printf(Locale.ROOT, "%s task %d: wall %.1f ns/row, jvm cpu %.1f ns/row, worker cpu %.1f ns/row%n",
              fn, task, (double) wall / rows, (double) jvm / rows, (double) (worker - workerBefore) / rows);
        }
        workerBefore = worker;
      }
    }
  }

  /** utime + stime of a process, from /proc (clock ticks of 10 ms). */
  private static long cpuNanos(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
  }
}
