package dev.pyworkers.internal.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
 * (and to the log at debug level only), so they do not crowd the tail. Lines end at {@code \n}, {@code \r} or
 * {@code \r\n}, as {@link java.io.BufferedReader#readLine()} has them; the pump counts the {@code \n}s it has
 * handled, so that a daemon's exit report, which counts the lines the daemon wrote before it, can be waited for
 * ({@link #awaitLines}). One daemon thread per stream, named for its process; it ends at end of stream.
 * Thread-safe.
 */
public final class OutputPump {
  static final Logger WORKER_LOG = LoggerFactory.getLogger("dev.pyworkers.python.worker");
  static final Logger DAEMON_LOG = LoggerFactory.getLogger("dev.pyworkers.python.daemon");
  private static final Pattern WORKER_LINE = Pattern.compile("^\\[pid (\\d+)] (.*)$", Pattern.DOTALL);
  private static final Pattern DAEMON_LINE = Pattern.compile("^\\[daemon] (DEBUG|INFO|WARN|ERROR) (.*)$", Pattern.DOTALL);
  private static final int TAIL_LINES = 40;
  private static final int MAX_LINE_CHARS = 2000;
  /** Bytes of a line kept: enough for {@value #MAX_LINE_CHARS} characters of UTF-8 and the cut's marker. */
  private static final int MAX_LINE_BYTES = 4 * MAX_LINE_CHARS + 4;

  private final ArrayDeque<String> tail = new ArrayDeque<>();
  private final TracebackDumps dumps = new TracebackDumps();
  /** Guarded by {@code this}: the {@code \n}-ended lines handled so far (logged or taken as a dump). */
  private long newlines;
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
    byte[] buf = new byte[8192];
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    boolean afterCr = false;
    try (in) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        for (int i = 0; i < n; i++) {
          byte b = buf[i];
          if (b == '\n') {
            if (!afterCr) handle(line);
            afterCr = false;
            countNewline();
          } else if (b == '\r') {
            handle(line);
            afterCr = true;
          } else {
            afterCr = false;
            if (line.size() < MAX_LINE_BYTES) line.write(b);
          }
        }
      }
      if (line.size() > 0) handle(line);
    } catch (IOException e) {
      // the process is gone and the stream closed under us; nothing more to copy
    } finally {
      done.countDown();
      synchronized (this) {
        notifyAll();
      }
    }
  }

  private void handle(ByteArrayOutputStream bytes) {
    String line = bytes.toString(StandardCharsets.UTF_8);
    bytes.reset();
    if (line.length() > MAX_LINE_CHARS) line = line.substring(0, MAX_LINE_CHARS) + "...";
    if (takenAsDump(line)) return;
    remember(line);
    log(line);
  }

  private synchronized void countNewline() {
    newlines++;
    notifyAll();
  }

  /**
   * Waits up to {@code millis} until {@code count} lines ended by {@code \n} have been handled (logged and kept in
   * the tail), or the stream has ended; returns whether they have.
   */
  public synchronized boolean awaitLines(long count, long millis) {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    try {
      while (newlines < count && done.getCount() > 0) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) break;
        wait(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return newlines >= count;
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
