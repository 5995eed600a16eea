package dev.pyworkers.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Checks after every test that nothing the test started is left, the one leak check of every module's tests:
 * <ul>
 *   <li>no live process carrying this run's marker ({@link TestRun#MARKER}): the Python daemons and workers, their
 *       orphans, and the child JVMs of {@link TestRun#childJvm} or a CLI test;</li>
 *   <li>no child process of this JVM that the test started, marked or not;</li>
 *   <li>no {@code pyworkers-} thread in this JVM;</li>
 *   <li>no more sockets open in this JVM than before the test;</li>
 *   <li>no file or folder open in this JVM that was not open before the test (jars, the JDK's own files and devices
 *       aside, which the JVM opens once for good).</li>
 * </ul>
 * Waits up to {@link #GRACE} for each to wind down, then fails the test naming what is left. Linux only (it reads
 * {@code /proc}). Use it with {@code @ExtendWith(NoLeaks.class)}; {@link #snapshot()} does the same by hand.
 * Thread-safe: the extension keeps its state in the test's store.
 */
public final class NoLeaks implements BeforeEachCallback, AfterEachCallback {
  /** How long each check waits for what the test started to wind down before it fails. */
  public static final Duration GRACE = Duration.ofSeconds(10);

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
    context.getStore(NS).put("before", snapshot());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    context.getStore(NS).get("before", Snapshot.class).assertNothingLeft(context.getDisplayName(), GRACE);
  }

  /** What is open now, to compare with after the code under test ran. */
  public static Snapshot snapshot() {
    return new Snapshot(socketCount(), openFiles(), children());
  }

  /** What was open at one moment: the baseline of {@link #assertNothingLeft}. Immutable. */
  public static final class Snapshot {
    private final int sockets;
    private final Map<String, Integer> files;
    private final Set<Long> children;

    private Snapshot(int sockets, List<String> files, Set<Long> children) {
      this.sockets = sockets;
      this.files = counts(files);
      this.children = children;
    }

    /**
     * Waits up to {@code grace} for each check in turn, then throws an {@link AssertionError} that names {@code what}
     * (the test) and everything still left: pids with their command lines, thread names, the socket count, file paths.
     */
    public void assertNothingLeft(String what, Duration grace) {
      check(what, grace, "a process of this test run is alive", NoLeaks::markedCommandLines);
      check(what, grace, "a child process it started is alive", this::newChildren);
      check(what, grace, "a pyworkers thread is alive", () -> List.copyOf(pyworkersThreads()));
      check(what, grace, "it left sockets open", this::newSockets);
      check(what, grace, "it left files open", this::newFiles);
    }

    private List<String> newChildren() {
      return children().stream().filter(pid -> !children.contains(pid)).map(NoLeaks::describe).toList();
    }

    private List<String> newSockets() {
      int now = socketCount();
      return now <= sockets ? List.of() : List.of(now + " sockets open in this JVM, " + sockets + " before the test");
    }

    private List<String> newFiles() {
      Map<String, Integer> now = counts(openFiles());
      List<String> extra = new ArrayList<>();
      now.forEach((path, n) -> {
        int before = files.getOrDefault(path, 0);
        if (n > before) extra.add(path + (n - before > 1 ? " (" + (n - before) + " times)" : ""));
      });
      return extra;
    }
  }

  private static void check(String what, Duration grace, String problem, Supplier<List<String>> left) {
    Callable<Boolean> clean = () -> left.get().isEmpty();
    try {
      await(problem).atMost(grace).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50)).until(clean);
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(what + ": " + problem + " " + grace.toMillis() + " ms after it ended; close what it"
          + " opened (registry, runner, results, streams) and stop what it started:\n  "
          + String.join("\n  ", left.get()), e);
    }
  }

  /** Pids of live processes whose environment holds this run's marker. */
  public static List<Long> markedProcesses() {
    byte[] needle = (TestRun.MARKER + "=" + TestRun.RUN_ID).getBytes(StandardCharsets.UTF_8);
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

  /** Live processes carrying this run's marker, as "pid: command line". */
  public static List<String> markedCommandLines() {
    return markedProcesses().stream().map(NoLeaks::describe).toList();
  }

  /** Live marked processes whose "pid: command line" contains {@code text} (e.g. "python"). */
  public static List<String> markedCommandLines(String text) {
    return markedCommandLines().stream().filter(s -> s.contains(text)).toList();
  }

  /** Pids of this JVM's live descendants, zombies aside. */
  public static Set<Long> children() {
    return ProcessHandle.current().descendants()
        .map(ProcessHandle::pid)
        .filter(pid -> {
          try {
            return !isZombie(Paths.get("/proc", Long.toString(pid)));
          } catch (IOException e) {
            return false;  // gone while we looked
          }
        })
        .collect(Collectors.toSet());
  }

  /** Names of live threads in this JVM whose name starts with {@code pyworkers-}. */
  public static Set<String> pyworkersThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("pyworkers-"))
        .collect(Collectors.toSet());
  }

  /** Sockets open in this JVM. */
  public static int socketCount() {
    return (int) fdTargets().stream().filter(t -> t.startsWith("socket:")).count();
  }

  /** File descriptors open in this JVM, of any kind. */
  public static int fdCount() {
    return fdTargets().size();
  }

  /**
   * Paths of the files and folders open in this JVM, once per descriptor, without what the JVM opens for good on
   * its own: jars and zips on the class path, files under {@code java.home}, and devices ({@code /dev/urandom}).
   */
  public static List<String> openFiles() {
    String javaHome = Paths.get(System.getProperty("java.home")).toAbsolutePath().normalize() + "/";
    return fdTargets().stream()
        .filter(t -> t.startsWith("/"))
        .filter(t -> !t.startsWith("/dev/") && !t.startsWith("/proc/") && !t.startsWith(javaHome))
        .filter(t -> !t.endsWith(".jar") && !t.endsWith(".zip"))
        .toList();
  }

  private static List<String> fdTargets() {
    List<String> out = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Paths.get("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          out.add(Files.readSymbolicLink(fd).toString());
        } catch (IOException e) {
          // closed while we looked (the listing's own descriptor among them)
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc/self/fd", e);
    }
    return out;
  }

  private static String describe(long pid) {
    try {
      String cmd = new String(Files.readAllBytes(Paths.get("/proc", Long.toString(pid), "cmdline")),
          StandardCharsets.UTF_8).replace('\0', ' ').strip();
      return pid + ": " + cmd;
    } catch (IOException e) {
      return pid + ": (ended)";
    }
  }

  private static Map<String, Integer> counts(List<String> items) {
    Map<String, Integer> out = new HashMap<>();
    for (String item : items) out.merge(item, 1, Integer::sum);
    return out;
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
