package dev.pyworkers.cli.run;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code pyworkers bench run-job}: the main job against a plain single-process Python script doing the same work,
 * end to end, start-up included, in the same run. It writes N JSONL records {@code {"x": <int>, "s": <string>}} to a
 * temporary folder, then {@code repeat} times runs, one after the other, the plain script (read, json.loads, the UDF,
 * json.dumps, write) and {@code pyworkers run} in a new JVM ({@code java -cp <this class path>
 * dev.pyworkers.cli.Main run ...}) with the UDF {@code {"x": r["x"] + 1, "n": len(r["s"])}}. Each timing is the
 * wall time from process start to exit. Correctness, checked on every repeat and failing the run: both exit 0, both
 * outputs are byte-identical with N lines, and no process the pyworkers run started outlives it (Linux: a marker
 * variable searched in /proc). The ratio compares the medians. Not thread-safe: one run per instance.
 *
 * <p>Run with {@code bin/pyworkers bench run-job --json}.
 */
public final class RunJobBenchmark {
  /** The UDF, shared word for word by both sides. */
  static final String UDF = "def f(r):\n    return {\"x\": r[\"x\"] + 1, \"n\": len(r[\"s\"])}\n";
  static final String PLAIN_SCRIPT = "import json\nimport sys\n\n" + UDF + "\n\n"
      + "with open(sys.argv[1], encoding=\"utf-8\") as inp, open(sys.argv[2], \"w\", encoding=\"utf-8\") as out:\n"
      + "    for line in inp:\n"
      + "        out.write(json.dumps(f(json.loads(line))) + \"\\n\")\n";
  private static final String MARKER = "PYWORKERS_BENCH_RUN_JOB";
  private static final long TIMEOUT_MINUTES = 30;

  private final long records;
  private final int workers;
  private final int repeat;
  private final String python;
  private final Consumer<String> log;

  public RunJobBenchmark(long records, int workers, int repeat, String python, Consumer<String> log) {
    if (records < 1) throw new IllegalArgumentException("records must be >= 1, got " + records);
    if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
    if (repeat < 1) throw new IllegalArgumentException("repeat must be >= 1, got " + repeat);
    this.records = records;
    this.workers = workers;
    this.repeat = repeat;
    this.python = python;
    this.log = log;
  }

  public RunJobBenchResult run() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("pyworkers-bench-run-job-");
    try {
      Path input = dir.resolve("input.jsonl");
      Path plainOut = dir.resolve("plain.jsonl");
      Path runOut = dir.resolve("pyworkers.jsonl");
      Files.writeString(dir.resolve("udf.py"), UDF);
      Files.writeString(dir.resolve("plain.py"), PLAIN_SCRIPT);
      log.accept("writing " + records + " records to " + input);
      generate(input, records);
      long size = Files.size(input);
      double[] plain = new double[repeat];
      double[] run = new double[repeat];
      for (int i = 0; i < repeat; i++) {
        log.accept("repeat " + (i + 1) + "/" + repeat + ": plain script");
        plain[i] = time(List.of(python, dir.resolve("plain.py").toString(), input.toString(), plainOut.toString()));
        log.accept(String.format("  %.2f s; pyworkers run --workers %d", plain[i], workers));
        run[i] = time(pyworkersRun(dir, input, runOut));
        log.accept(String.format("  %.2f s; comparing the outputs", run[i]));
        checkSame(plainOut, runOut, records);
      }
      return new RunJobBenchResult(records, size, workers, python, median(plain), median(run), plain, run);
    } finally {
      deleteTree(dir);
    }
  }

  private List<String> pyworkersRun(Path dir, Path input, Path output) {
    List<String> cmd = runCommand();
    cmd.addAll(List.of("--udf", dir.resolve("udf.py") + ":f", "--input", input.toString(), "--output",
        output.toString(), "--workers", Integer.toString(workers), "--python", python, "--no-progress"));
    return cmd;
  }

  /**
   * {@code java [flags] -cp <this JVM's class path> dev.pyworkers.cli.Main run}: a fresh JVM, with the flags
   * {@code bin/pyworkers} gives {@code run} (PYWORKERS_RUN_JVM_FLAGS, one a line) when it started this one, else
   * none, so the benchmark times what a user's {@code bin/pyworkers run} runs.
   */
  static List<String> runCommand() {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String flags = System.getenv("PYWORKERS_RUN_JVM_FLAGS");
    if (flags != null) {
      for (String f : flags.split("\n")) {
        if (!f.isBlank()) cmd.add(f.strip());
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.pyworkers.cli.Main", "run"));
    return cmd;
  }

  /** Deterministic records: x in [-1e9, 1e9), s of 0 to 19 lowercase letters; json.dumps's spacing. */
  static void generate(Path file, long n) throws IOException {
    Random random = new Random(42);
    char[] s = new char[20];
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (long i = 0; i < n; i++) {
        int len = random.nextInt(20);
        for (int j = 0; j < len; j++) s[j] = (char) ('a' + random.nextInt(26));
        w.write("{\"x\": ");
        w.write(Long.toString(random.nextInt(2_000_000_000) - 1_000_000_000L));
        w.write(", \"s\": \"");
        w.write(s, 0, len);
        w.write("\"}\n");
      }
    }
  }

  /** Runs {@code cmd} to its end and returns its wall time in seconds; fails on a non-zero exit or a leftover. */
  static double time(List<String> cmd) throws IOException, InterruptedException {
    String id = UUID.randomUUID().toString();
    Path log = Files.createTempFile("pyworkers-bench-", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put(MARKER, id);
    try {
      long t0 = System.nanoTime();
      Process p = pb.start();
      if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new IllegalStateException(cmd.get(0) + " did not finish within " + TIMEOUT_MINUTES + " minutes");
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " exited with " + p.exitValue() + ":\n"
            + Files.readString(log));
      }
      List<String> left = Leftovers.find(MARKER + "=" + id);
      if (!left.isEmpty()) throw new IllegalStateException("processes outlived the run: " + left);
      return seconds;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  static void checkSame(Path plainOut, Path runOut, long records) throws IOException {
    long mismatch = Files.mismatch(plainOut, runOut);
    if (mismatch != -1) {
      throw new IllegalStateException("the outputs differ from byte " + mismatch + ": " + plainOut + " ("
          + Files.size(plainOut) + " bytes) vs " + runOut + " (" + Files.size(runOut) + " bytes)");
    }
    long lines;
    try (Stream<String> s = Files.lines(runOut)) {
      lines = s.count();
    }
    if (lines != records) throw new IllegalStateException("the outputs have " + lines + " lines, not " + records);
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      List<Path> all = new ArrayList<>(s.sorted(Comparator.reverseOrder()).toList());
      for (Path p : all) Files.deleteIfExists(p);
    }
  }
}
