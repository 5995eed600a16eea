package dev.pyworkers.cli.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Records done, rate and ETA on stderr through me.tongfei's progress bar, or nothing at all. The total is an estimate
 * (records read so far scaled to the input's size) until the whole input has been read. Thread-safe: task threads
 * add records while the reading thread refines the total.
 */
public final class Progress implements AutoCloseable {
  private final ProgressBar bar;
  private final AtomicLong done = new AtomicLong();
  private final AtomicBoolean closed = new AtomicBoolean();

  private Progress(ProgressBar bar) {
    this.bar = bar;
  }

  /** A progress that shows nothing. */
  public static Progress none() {
    return new Progress(null);
  }

  /** A progress bar on {@code err}: {@code records 54% │███ │ 1090615/1999985 (0:00:02 / 0:00:01) 545307/s}. */
  public static Progress bar(PrintStream err) {
    ProgressBar bar = new ProgressBarBuilder()
        .setTaskName("records")
        .setInitialMax(-1)
        .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
        .showSpeed(new DecimalFormat("0"))
        .setSpeedUnit(ChronoUnit.SECONDS)
        .setUpdateIntervalMillis(250)
        .continuousUpdate()
        .setConsumer(new ConsoleProgressBarConsumer(err))
        .build();
    return new Progress(bar);
  }

  /** Whether the process's stderr is a terminal (Linux: fd 2 is a tty; elsewhere: the JVM has a console). */
  // The fallback (not Linux) cannot ask Console.isTerminal(), which is JDK 22+; on a JDK 22+ console() is never
  // null, so there the fallback says yes even when stderr is redirected.
  @SuppressWarnings("SystemConsoleNull")
  public static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException e) {
      return System.console() != null;
    }
  }

  public void add(long records) {
    done.addAndGet(records);
    if (bar != null) bar.stepBy(records);
  }

  public long done() {
    return done.get();
  }

  /** Sets the expected total; call with the exact count once it is known. */
  public void total(long records) {
    if (bar != null) bar.maxHint(Math.max(records, done.get()));
  }

  /** Draws the final state and ends the line. Idempotent. */
  @Override
  public void close() {
    if (bar != null && closed.compareAndSet(false, true)) bar.close();
  }
}
