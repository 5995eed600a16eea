package dev.pyworkers.cli.testing;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code pyworkers} command in its own JVM ({@code java -cp <test classpath> dev.pyworkers.cli.Main ...}),
 * marked with {@link TestRun#MARKER} so that {@link NoLeaks} finds it and the processes it starts, with stdout and
 * stderr going to files. Can be signalled like a user would (Ctrl-C is SIGINT). Not thread-safe: one test thread.
 */
public final class CliProcess {
  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private CliProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Starts {@code pyworkers args...}; its output files live in {@code dir}. */
  public static CliProcess start(Path dir, String... args) throws IOException {
    return start(dir, false, args);
  }

  /**
   * Starts {@code pyworkers args...} in a session and process group of its own (through setsid(1), which then execs
   * java in the same process), so {@link #signalGroup} reaches it and its Python processes like a terminal's Ctrl-C.
   */
  public static CliProcess startInOwnSession(Path dir, String... args) throws IOException {
    return start(dir, true, null, List.of(), args);
  }

  /**
   * As {@link #startInOwnSession}, with {@code tmpdir} as the JVM's {@code java.io.tmpdir} and the {@code TMPDIR} of
   * it and its Python processes, so a test can check exactly what the run left in its temporary folder.
   */
  public static CliProcess startInOwnSession(Path dir, Path tmpdir, String... args) throws IOException {
    return start(dir, true, tmpdir, args);
  }

  /** Starts {@code java <jvmOptions> ... pyworkers args...}, e.g. with bin/pyworkers's heap limit -Xmx512m. */
  public static CliProcess startWithJvmOptions(Path dir, List<String> jvmOptions, String... args) throws IOException {
    return start(dir, false, jvmOptions, args);
  }

  private static CliProcess start(Path dir, boolean ownSession, String... args) throws IOException {
    return start(dir, ownSession, null, List.of(), args);
  }

  private static CliProcess start(Path dir, boolean ownSession, Path tmpdir, String... args) throws IOException {
    return start(dir, ownSession, tmpdir, List.of(), args);
  }

  /** Runs {@code pyworkers args...} in a JVM with {@code jvmOptions} (e.g. -Xmx512m) to its end (at most 60 s). */
  public static CliProcess runWithJvmOptions(Path dir, List<String> jvmOptions, String... args)
      throws IOException, InterruptedException {
    CliProcess p = startWithJvmOptions(dir, jvmOptions, args);
    p.waitFor(Duration.ofSeconds(60));
    return p;
  }

  private static CliProcess start(Path dir, boolean ownSession, List<String> jvmOptions, String... args)
      throws IOException {
    return start(dir, ownSession, null, jvmOptions, args);
  }

  private static CliProcess start(Path dir, boolean ownSession, Path tmpdir, List<String> jvmOptions,
      String... args) throws IOException {
    requireBuildClassPath();
    List<String> options = new ArrayList<>(jvmOptions);
    if (tmpdir != null) options.add("-Djava.io.tmpdir=" + tmpdir);
    // the shared child JVM: this test JVM's class path, the marker in its environment, logging at warn
    ProcessBuilder pb = TestRun.childJvm(options, "dev.pyworkers.cli.Main", args);
    if (ownSession) pb.command().add(0, "setsid");
    Path out = Files.createTempFile(dir, "cli-", ".stdout");
    Path err = Files.createTempFile(dir, "cli-", ".stderr");
    pb.redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().remove("PYWORKERS_PYTHON");
    if (tmpdir != null) pb.environment().put("TMPDIR", tmpdir.toString());
    return new CliProcess(pb.start(), out, err);
  }

  /** Runs {@code pyworkers args...} to its end (at most 60 s) and returns its exit code. */
  public static CliProcess run(Path dir, String... args) throws IOException, InterruptedException {
    CliProcess p = start(dir, args);
    p.waitFor(Duration.ofSeconds(60));
    return p;
  }

  /** Fails unless the surefire JVM's class path (the child's too) lists target/classes and target/test-classes. */
  private static void requireBuildClassPath() {
    String cp = System.getProperty("java.class.path");
    if (!cp.contains("classes")) {
      throw new IllegalStateException("the test class path does not list the build's classes folders: " + cp);
    }
  }

  public long pid() {
    return process.pid();
  }

  /** Waits for the exit; fails (and kills the process) if it takes longer than {@code limit}. */
  public int waitFor(Duration limit) throws InterruptedException {
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("pyworkers did not exit within " + limit + "; stderr:\n" + stderr());
    }
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public int exitCode() {
    return process.exitValue();
  }

  /** Sends {@code signal} (e.g. "INT", "TERM") to the JVM with kill(1). */
  public void signal(String signal) throws IOException, InterruptedException {
    kill("-" + signal, Long.toString(process.pid()));
  }

  /** Sends {@code signal} to the process group of a {@link #startInOwnSession} process, as Ctrl-C does. */
  public void signalGroup(String signal) throws IOException, InterruptedException {
    awaitOwnGroup();
    kill("-" + signal, "--", "-" + process.pid());
  }

  /**
   * Waits (up to 5 s) until setsid(1) has made the process the leader of its own group, so that a signal sent to the
   * group right after the start reaches it instead of failing with "no such process".
   */
  private void awaitOwnGroup() throws IOException, InterruptedException {
    Path stat = Path.of("/proc", Long.toString(process.pid()), "stat");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline && process.isAlive()) {
      String s;
      try {
        s = Files.readString(stat);
      } catch (IOException e) {
        return;  // no /proc here, or the process is gone: let kill(1) say what it finds
      }
      String[] fields = s.substring(s.lastIndexOf(')') + 2).split(" ");
      if (fields.length > 2 && fields[2].equals(Long.toString(process.pid()))) return;  // pgrp == pid
      Thread.sleep(1);
    }
  }

  private static void kill(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("kill"));
    cmd.addAll(List.of(args));
    Process kill = new ProcessBuilder(cmd).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " failed");
    }
  }

  public String stdout() {
    return read(stdout);
  }

  public String stderr() {
    return read(stderr);
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + p, e);
    }
  }
}
