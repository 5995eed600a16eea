package dev.pyworkers.cli.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Proves after every test that no process the test started is alive: every process a CLI test starts (the
 * {@code pyworkers} JVM, and through it the Python daemon and workers, which inherit its environment) carries the
 * marker variable {@link #MARKER}={@link #RUN_ID}, and this extension scans {@code /proc/<pid>/environ} for it (the
 * idea of pyworkers-core's NoLeaks). Orphans are found too. Waits up to 5 s for processes to wind down, then fails
 * the test naming the pids and their command lines.
 */
public final class NoPythonLeft implements AfterEachCallback {
  public static final String MARKER = "PYWORKERS_CLI_TEST_RUN";
  public static final String RUN_ID = UUID.randomUUID().toString();

  @Override
  public void afterEach(ExtensionContext context) {
    try {
      await("no process started by this test is alive")
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> markedProcesses().isEmpty());
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("processes started by " + context.getDisplayName() + " are still alive 5 s after it"
          + " ended:\n" + String.join("\n", markedProcesses()), e);
    }
  }

  /** Live processes carrying this run's marker, as "pid: command line". */
  public static List<String> markedProcesses() {
    byte[] needle = (MARKER + "=" + RUN_ID).getBytes(StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Paths.get("/proc"))) {
      for (Path p : procs.toList()) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) continue;
        try {
          byte[] env = Files.readAllBytes(p.resolve("environ"));
          if (indexOf(env, needle) >= 0 && !isZombie(p)) {
            String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
            out.add(name + ": " + cmd.strip());
          }
        } catch (IOException e) {
          // the process ended while we looked
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return out;
  }

  /** Live marked processes whose command line contains {@code text}. */
  public static List<String> markedProcesses(String text) {
    return markedProcesses().stream().filter(s -> s.contains(text)).toList();
  }

  private static boolean isZombie(Path proc) throws IOException {
    String stat = Files.readString(proc.resolve("stat"));
    int close = stat.lastIndexOf(')');
    return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) == 'Z';
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) continue outer;
      }
      return i;
    }
    return -1;
  }
}
