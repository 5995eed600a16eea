package dev.pyworkers.cli.testing;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The CLI's former leak check, now only a name kept for tests written against it: it runs the shared
 * {@link NoLeaks} (processes of this run, child processes, pyworkers threads, sockets, files). New tests use
 * {@code @ExtendWith(NoLeaks.class)} and {@link NoLeaks#markedCommandLines()} directly. Thread-safe.
 *
 * @deprecated use {@link NoLeaks}
 */
@Deprecated
public final class NoPythonLeft implements BeforeEachCallback, AfterEachCallback {
  public static final String MARKER = TestRun.MARKER;
  public static final String RUN_ID = TestRun.RUN_ID;

  private final NoLeaks delegate = new NoLeaks();

  @Override
  public void beforeEach(ExtensionContext context) {
    delegate.beforeEach(context);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    delegate.afterEach(context);
  }

  /** Live processes carrying this run's marker, as "pid: command line". */
  public static List<String> markedProcesses() {
    return NoLeaks.markedCommandLines();
  }

  /** Live marked processes whose command line contains {@code text}. */
  public static List<String> markedProcesses(String text) {
    return NoLeaks.markedCommandLines(text);
  }
}
