package dev.pyworkers.internal.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a Python process's output lines into SLF4J, with the pid where it is known, and keeps the last lines for
 * error messages. Daemon lines carry {@code [pid N] } (a worker's output, relayed) or {@code [daemon] LEVEL }
 * prefixes. Stack dumps a worker writes when asked for a stall report go to its {@link TracebackDumps} instead
 * (and to the log at debug level only), so they do not crowd the tail. One daemon thread per stream, named for its
 * process; it ends at end of stream. Thread-safe.
 */
public final class OutputPump {
  static final Logger WORKER_LOG = LoggerFactory.getLogger("dev.pyworkers.python.worker");
  static final Logger DAEMON_LOG = LoggerFactory.getLogger("dev.pyworkers.python.daemon");
  private static final Pattern WORKER_LINE = Pattern.compile("^\\[pid (\\d+)] (.*)$", Pattern.DOTALL);
  private static final Pattern DAEMON_LINE = Pattern.compile("^\\[daemon] (DEBUG|INFO|WARN|ERROR) (.*)$", Pattern.DOTALL);
  private static final Pattern WORKER_EXIT =
      Pattern.compile("^worker pid (\\d+) ((exited with code|killed by signal|ended with wait status) .*)$");
  private static final int TAIL_LINES = 40;
  private static final int MAX_EXITS = 4096;
  private static final int MAX_LINE_CHARS = 2000;

  private final ArrayDeque<String> tail = new ArrayDeque<>();
  private final TracebackDumps dumps = new TracebackDumps();
  /** @GuardedBy("this"): how recent workers of a daemon ended, as the daemon reported, newest last. */
  private final java.util.LinkedHashMap<Long, String> exits = new java.util.LinkedHashMap<>();
  private final CountDownLatch done = new CountDownLatch(1);
  private final boolean daemon;
  private final long pid;

  private OutputPump(boolean daemon, long pid) {
    this.daemon = daemon;
    this.pid = pid;
  }

  /** Starts pumping {@code in}, the output of {@code pid}; {@code daemon} selects daemon-line parsing. */
  public static OutputPump start(InputStream in, long pid, boolean daemon) {
    OutputPump pump = new OutputPump(daemon, pid);
    Thread t = new Thread(() -> pump.run(in), (daemon ? "pyworkers-daemon-stderr-pid" : "pyworkers-worker-output-pid") + pid);
    t.setDaemon(true);
    t.start();
    return pump;
  }

  private void run(InputStream in) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.length() > MAX_LINE_CHARS) line = line.substring(0, MAX_LINE_CHARS) + "...";
        if (takenAsDump(line)) continue;
        remember(line);
        log(line);
      }
    } catch (IOException e) {
      // the process is gone and the stream closed under us; nothing more to copy
    } finally {
      done.countDown();
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /** A line of a requested stack dump goes to {@link #dumps()} and the debug log, not to the tail. */
  private boolean takenAsDump(String line) {
    long workerPid = pid;
    String text = line;
    if (daemon) {
      Matcher w = WORKER_LINE.matcher(line);
      if (!w.matches()) return false;
      workerPid = Long.parseLong(w.group(1));
      text = w.group(2);
    }
    if (!dumps.offer(workerPid, text, System.nanoTime())) return false;
    WORKER_LOG.debug("pid {} (stack dump): {}", workerPid, text);
    return true;
  }

  /** The stack dumps of this process (simple mode) or of the daemon's workers. */
  public TracebackDumps dumps() {
    return dumps;
  }

  private void log(String line) {
    if (!daemon) {
      WORKER_LOG.info("pid {}: {}", pid, line);
      return;
    }
    Matcher w = WORKER_LINE.matcher(line);
    if (w.matches()) {
      WORKER_LOG.info("pid {}: {}", w.group(1), w.group(2));
      return;
    }
    Matcher d = DAEMON_LINE.matcher(line);
    if (!d.matches()) {
      DAEMON_LOG.info("daemon pid {}: {}", pid, line);
      return;
    }
    Matcher exit = WORKER_EXIT.matcher(d.group(2));
    if (exit.matches()) recordExit(Long.parseLong(exit.group(1)), exit.group(2));
    switch (d.group(1)) {
      case "DEBUG" -> DAEMON_LOG.debug("daemon pid {}: {}", pid, d.group(2));
      case "INFO" -> DAEMON_LOG.info("daemon pid {}: {}", pid, d.group(2));
      case "WARN" -> DAEMON_LOG.warn("daemon pid {}: {}", pid, d.group(2));
      default -> DAEMON_LOG.error("daemon pid {}: {}", pid, d.group(2));
    }
  }

  private synchronized void remember(String line) {
    if (tail.size() == TAIL_LINES) tail.removeFirst();
    tail.addLast(line);
  }

  private synchronized void recordExit(long workerPid, String how) {
    exits.put(workerPid, how);
    if (exits.size() > MAX_EXITS) exits.remove(exits.keySet().iterator().next());
    notifyAll();
  }

  /**
   * How a daemon's worker ended ("exited with code 1", "killed by signal 11 (SIGSEGV)"), waiting up to {@code
   * millis} for the daemon to report it; null if it did not.
   */
  public synchronized String awaitWorkerExit(long workerPid, long millis) {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    try {
      while (!exits.containsKey(workerPid)) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0 || done.getCount() == 0) break;
        wait(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return exits.get(workerPid);
  }

  /** Waits up to {@code millis} for the stream to end, so that the tail is complete. */
  public boolean awaitEnd(long millis) {
    try {
      return done.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The last lines seen, oldest first, or "(no output)". */
  public synchronized String tail() {
    return tail.isEmpty() ? "(no output)" : String.join("\n", tail);
  }

  /** The last lines mentioning {@code [pid N]}, for a worker's error message. */
  public synchronized String tailOf(long workerPid) {
    String prefix = "[pid " + workerPid + "] ";
    StringBuilder sb = new StringBuilder();
    for (String l : tail) {
      if (l.startsWith(prefix)) sb.append(sb.length() == 0 ? "" : "\n").append(l.substring(prefix.length()));
    }
    return sb.length() == 0 ? "(no output)" : sb.toString();
  }
}
