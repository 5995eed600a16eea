package dev.pyworkers.internal.process;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Catches the stack dumps that workers write to stderr when asked with {@link DumpSignal}, so that they reach the
 * stall report instead of the log and the crash report's "last stderr lines". A dump is only taken from a worker
 * that was asked ({@link #expect}); its lines are faulthandler's: a header per thread ({@code Current thread 0x...
 * (most recent call first):} or {@code Thread 0x... ...}), frame lines ({@code   File "...", line N in f}) and
 * blank lines between threads. The first other line ends it. Thread-safe.
 */
public final class TracebackDumps {
  private static final Pattern HEADER =
      Pattern.compile("^(Current thread|Thread) 0x[0-9a-fA-F]+.*\\(most recent call first\\):$");
  private static final Pattern FRAME = Pattern.compile("^  (File \".*|<no Python frame>|\\.\\.\\.)$");
  private static final int MAX_LINES = 4000;

  /** Guarded by {@code this}: the dump being caught per worker pid. */
  private final Map<Long, Capture> captures = new HashMap<>();

  /** From now on, dump lines of {@code pid} are caught; a previous dump of it is dropped. */
  public synchronized void expect(long pid, long nowNanos) {
    captures.put(pid, new Capture(nowNanos));
  }

  /** Stops catching dumps of {@code pid} (its task ended). */
  public synchronized void forget(long pid) {
    captures.remove(pid);
  }

  /** Called by the output pump for each line of {@code pid}; true when the line belongs to a dump and was taken. */
  synchronized boolean offer(long pid, String line, long nowNanos) {
    Capture c = captures.get(pid);
    if (c == null || c.ended) return false;
    boolean header = HEADER.matcher(line).matches();
    if (header || (!c.lines.isEmpty() && (line.isEmpty() || FRAME.matcher(line).matches()))) {
      if (c.lines.size() < MAX_LINES) c.lines.add(line);
      c.lastLineNanos = nowNanos;
      return true;
    }
    if (!c.lines.isEmpty()) c.ended = true;
    return false;
  }

  /**
   * The dump of {@code pid} once it is complete (a line after it arrived, or no line for {@code quietNanos}); null
   * while none has started or it may still be coming.
   */
  public synchronized String completed(long pid, long nowNanos, long quietNanos) {
    Capture c = captures.get(pid);
    if (c == null || c.lines.isEmpty()) return null;
    if (!c.ended && nowNanos - c.lastLineNanos < quietNanos) return null;
    return String.join("\n", c.lines).strip();
  }

  /**
   * The block of the main thread in a dump: the thread whose stack does not start in {@code threading}'s {@code
   * _bootstrap} (preferring faulthandler's "Current thread", which receives a process signal on Linux), with its
   * header. The whole dump if no block qualifies.
   */
  public static String mainThread(String dump) {
    List<List<String>> blocks = new ArrayList<>();
    for (String line : dump.split("\n", -1)) {
      if (HEADER.matcher(line).matches()) blocks.add(new ArrayList<>());
      if (!blocks.isEmpty() && !line.isEmpty()) blocks.get(blocks.size() - 1).add(line);
    }
    List<String> best = null;
    for (List<String> b : blocks) {
      String outermost = b.get(b.size() - 1);
      boolean started = outermost.contains("threading.py") && outermost.endsWith(" in _bootstrap");
      if (started) continue;
      if (best == null || b.get(0).startsWith("Current thread")) best = b;
    }
    return best == null ? dump : String.join("\n", best);
  }

  private static final class Capture {
    final List<String> lines = new ArrayList<>();
    long lastLineNanos;
    boolean ended;

    Capture(long nowNanos) {
      this.lastLineNanos = nowNanos;
    }
  }
}
