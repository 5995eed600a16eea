package dev.pyworkers.cli.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * {@code pyworkers bench run-workers}: whether {@code --workers} pays off on a small input of a slow FUNC. It writes
 * N JSONL records {@code {"i": <n>}} (11 KB for 1,000) and a FUNC that sleeps S ms and returns {@code [i,
 * os.getpid()]}, then for each of {@code rounds} paired rounds runs {@code pyworkers run --workers 1} and {@code
 * pyworkers run --workers W} one after the other (the order alternates between rounds), each in a new JVM ({@code
 * java -cp <this class path> dev.pyworkers.cli.Main run ...}), timed from process start to exit. The ratio is the
 * median over the rounds of (W-worker time / 1-worker time); the same ratio of the run's own summary time (which
 * leaves out the JVM's start) is reported beside it. Correctness, checked on every run and failing the benchmark:
 * exit 0, N output lines in input order, exactly as many distinct pids in the output as workers asked for (at most
 * N), and no process of the run left (Linux: a marker variable searched in /proc). Not thread-safe: one run per
 * instance.
 *
 * <p>Run with {@code bin/pyworkers bench run-workers --json}.
 */
public final class RunWorkersBenchmark {
  private static final String MARKER = "PYWORKERS_BENCH_RUN_WORKERS";
  private static final Pattern SUMMARY =
      Pattern.compile("pyworkers run: (\\d+) records in ([0-9.]+) s .*?, (\\d+) workers?, (\\d+) partitions?;");
  private static final long TIMEOUT_MINUTES = 10;

  private final int records;
  private final int sleepMillis;
  private final int workers;
  private final int rounds;
  private final String python;
  private final Consumer<String> log;

  public RunWorkersBenchmark(int records, int sleepMillis, int workers, int rounds, String python,
      Consumer<String> log) {
    if (records < 1) throw new IllegalArgumentException("records must be >= 1, got " + records);
    if (sleepMillis < 0) throw new IllegalArgumentException("sleepMillis must be >= 0, got " + sleepMillis);
    if (workers < 2) throw new IllegalArgumentException("workers must be >= 2, got " + workers);
    if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
    this.records = records;
    this.sleepMillis = sleepMillis;
    this.workers = workers;
    this.rounds = rounds;
    this.python = python;
    this.log = log;
  }

  /** One timed run: wall seconds, the summary line's seconds, and its worker and partition counts. */
  record Sample(double wallSeconds, double runSeconds, int workers, int partitions) {}

  public RunWorkersBenchResult run() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("pyworkers-bench-run-workers-");
    try {
      Path input = dir.resolve("input.jsonl");
      Files.writeString(input, LongStream.range(0, records).mapToObj(i -> "{\"i\": " + i + "}")
          .collect(Collectors.joining("\n", "", "\n")));
      Files.writeString(dir.resolve("udf.py"), "import os\nimport time\n\n\ndef f(r):\n    time.sleep("
          + sleepMillis / 1000.0 + ")\n    return [r[\"i\"], os.getpid()]\n");
      Sample[] one = new Sample[rounds];
      Sample[] many = new Sample[rounds];
      for (int r = 0; r < rounds; r++) {
        boolean manyFirst = r % 2 == 1;
        log.accept("round " + (r + 1) + "/" + rounds);
        if (manyFirst) many[r] = timed(dir, input, workers);
        one[r] = timed(dir, input, 1);
        if (!manyFirst) many[r] = timed(dir, input, workers);
      }
      return new RunWorkersBenchResult(records, Files.size(input), sleepMillis, workers, python, one, many);
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      }
    }
  }

  private Sample timed(Path dir, Path input, int w) throws IOException, InterruptedException {
    Path output = dir.resolve("out-" + w + ".jsonl");
    Path logFile = dir.resolve("log-" + w + ".txt");
    List<String> cmd = RunJobBenchmark.runCommand();
    cmd.addAll(List.of("--udf", dir.resolve("udf.py") + ":f", "--input", input.toString(), "--output",
        output.toString(), "--workers", Integer.toString(w), "--python", python, "--no-progress"));
    String id = UUID.randomUUID().toString();
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile());
    pb.environment().put(MARKER, id);
    long t0 = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new IllegalStateException("pyworkers run --workers " + w + " did not finish within " + TIMEOUT_MINUTES
          + " minutes");
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    String text = Files.readString(logFile, StandardCharsets.UTF_8);
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + " exited with " + p.exitValue() + ":\n" + text);
    }
    List<String> left = Leftovers.find(MARKER + "=" + id);
    if (!left.isEmpty()) throw new IllegalStateException("processes outlived the run: " + left);
    Matcher m = SUMMARY.matcher(text);
    if (!m.find()) throw new IllegalStateException("no summary line in the output of the run:\n" + text);
    Sample s = new Sample(wall, Double.parseDouble(m.group(2)), Integer.parseInt(m.group(3)),
        Integer.parseInt(m.group(4)));
    int pids = checkOutput(output);
    int expected = Math.min(w, records);
    if (pids != expected || s.workers() != expected) {
      throw new IllegalStateException("pyworkers run --workers " + w + " ran on " + s.workers() + " workers ("
          + pids + " distinct pids in the output), not " + expected + ":\n" + text);
    }
    log.accept(String.format("  --workers %d: %.2f s (run %.2f s), ran on %d worker(s), %d partitions", w, wall,
        s.runSeconds(), s.workers(), s.partitions()));
    return s;
  }

  /** Checks every record is there in order; returns the distinct pids that wrote them. */
  private int checkOutput(Path output) throws IOException {
    List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
    if (lines.size() != records) {
      throw new IllegalStateException(output + " has " + lines.size() + " lines, not " + records);
    }
    Set<String> pids = new HashSet<>();
    for (int i = 0; i < records; i++) {
      String l = lines.get(i);
      String prefix = "[" + i + ", ";
      if (!l.startsWith(prefix) || !l.endsWith("]")) {
        throw new IllegalStateException(output + " line " + (i + 1) + " is '" + l + "', not " + prefix + "<pid>]");
      }
      pids.add(l.substring(prefix.length(), l.length() - 1));
    }
    return pids.size();
  }
}
