package dev.pyworkers.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Checks after every test that nothing the test started is left: no live process carrying this run's marker (an
 * orphaned worker included), no extra socket open in this JVM, and no {@code pyworkers-} thread. Waits up to 10 s
 * for things to wind down, then fails the test naming what is left.
 */
public final class NoLeaks implements BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(NoLeaks.class);

  static {
    // The JDK opens one socket for good the first time any channel is closed (its pre-close socket pair); open and
    // close a channel once so that this one-time socket is not counted against the first test.
    try {
      java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX).close();
      java.nio.channels.SocketChannel.open().close();
    } catch (IOException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NS).put("sockets", socketCount());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    int socketsBefore = context.getStore(NS).get("sockets", Integer.class);
    await("no Python process of this test run is alive")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> markedProcesses().isEmpty());
    await("no pyworkers thread is alive")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> pyworkersThreads().isEmpty());
    await("no socket opened by the test is still open (before: " + socketsBefore + ")")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> socketCount() <= socketsBefore);
  }

  /** Pids of live processes whose environment holds this run's marker. */
  public static List<Long> markedProcesses() {
    byte[] needle = (TestPython.MARKER + "=" + TestPython.RUN_ID).getBytes(StandardCharsets.UTF_8);
    List<Long> out = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Paths.get("/proc"))) {
      for (Path p : procs.toList()) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) continue;
        try {
          byte[] env = Files.readAllBytes(p.resolve("environ"));
          if (indexOf(env, needle) >= 0 && !isZombie(p)) out.add(Long.parseLong(name));
        } catch (IOException e) {
          // the process ended while we looked
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return out;
  }

  private static boolean isZombie(Path proc) throws IOException {
    String stat = Files.readString(proc.resolve("stat"));
    int close = stat.lastIndexOf(')');
    return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) == 'Z';
  }

  public static Set<String> pyworkersThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("pyworkers-"))
        .collect(Collectors.toSet());
  }

  public static int socketCount() {
    try (Stream<Path> fds = Files.list(Paths.get("/proc/self/fd"))) {
      int n = 0;
      for (Path fd : fds.toList()) {
        try {
          if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) n++;
        } catch (IOException e) {
          // closed while we looked
        }
      }
      return n;
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc/self/fd", e);
    }
  }

  public static int fdCount() {
    try (Stream<Path> fds = Files.list(Paths.get("/proc/self/fd"))) {
      return (int) fds.count();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc/self/fd", e);
    }
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
