package dev.pyworkers.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The leak checker must itself catch each kind of leak, or every other test's cleanup proof would be worthless. */
@ExtendWith(NoLeaks.class)
class NoLeaksTest {
  private static final Duration SHORT = Duration.ofMillis(300);

  @Test
  void assertNothingLeft_whenNothingWasLeft_passes() {
    NoLeaks.snapshot().assertNothingLeft("clean", SHORT);
  }

  @Test
  void assertNothingLeft_whenAMarkedPythonIsAlive_failsNamingItsPid() throws Exception {
    NoLeaks.Snapshot before = NoLeaks.snapshot();
    ProcessBuilder pb = new ProcessBuilder(TestRun.python(), "-c", "import sys; sys.stdin.read()");
    pb.environment().putAll(TestRun.environment());
    Process python = pb.start();
    try {
      assertThatThrownBy(() -> before.assertNothingLeft("planted python", SHORT))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("planted python: a process of this test run is alive")
          .hasMessageContaining(python.pid() + ": " + TestRun.python());
    } finally {
      python.getOutputStream().close();
      assertThat(python.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
    before.assertNothingLeft("after the python ended", NoLeaks.GRACE);
  }

  @Test
  void assertNothingLeft_whenAnUnmarkedChildIsAlive_failsNamingIt() throws Exception {
    NoLeaks.Snapshot before = NoLeaks.snapshot();
    Process child = new ProcessBuilder(TestRun.python(), "-c", "import sys; sys.stdin.read()").start();
    try {
      assertThatThrownBy(() -> before.assertNothingLeft("planted child", SHORT))
          .hasMessageContaining("planted child: a child process it started is alive")
          .hasMessageContaining(Long.toString(child.pid()));
    } finally {
      child.getOutputStream().close();
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
    before.assertNothingLeft("after the child ended", NoLeaks.GRACE);
  }

  @Test
  void assertNothingLeft_whenAPyworkersThreadIsAlive_failsNamingIt() throws Exception {
    NoLeaks.Snapshot before = NoLeaks.snapshot();
    CountDownLatch release = new CountDownLatch(1);
    Thread planted = new Thread(() -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "pyworkers-planted");
    planted.setDaemon(true);
    planted.start();
    try {
      assertThatThrownBy(() -> before.assertNothingLeft("planted thread", SHORT))
          .hasMessageContaining("planted thread: a pyworkers thread is alive")
          .hasMessageContaining("pyworkers-planted");
    } finally {
      release.countDown();
      planted.join(10_000);
    }
    before.assertNothingLeft("after the thread ended", NoLeaks.GRACE);
  }

  @Test
  void assertNothingLeft_whenASocketIsOpen_failsWithTheCounts() throws Exception {
    NoLeaks.Snapshot before = NoLeaks.snapshot();
    int sockets = NoLeaks.socketCount();
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      assertThatThrownBy(() -> before.assertNothingLeft("planted socket", SHORT))
          .hasMessageContaining("planted socket: it left sockets open")
          .hasMessageContaining((sockets + 1) + " sockets open in this JVM, " + sockets + " before the test");
    }
    before.assertNothingLeft("after the socket closed", NoLeaks.GRACE);
  }

  @Test
  void assertNothingLeft_whenAFileIsOpen_failsNamingItsPath(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("planted.txt"), "leak");
    NoLeaks.Snapshot before = NoLeaks.snapshot();
    try (InputStream in = Files.newInputStream(file); OutputStream out = Files.newOutputStream(dir.resolve("o.txt"))) {
      assertThatThrownBy(() -> before.assertNothingLeft("planted file", SHORT))
          .hasMessageContaining("planted file: it left files open")
          .hasMessageContaining(file.toRealPath().toString())
          .hasMessageContaining(dir.toRealPath().resolve("o.txt").toString());
    }
    before.assertNothingLeft("after the file closed", NoLeaks.GRACE);
  }

  @Test
  void assertNothingLeft_whenAFileOpenBeforeIsStillOpen_passes(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("kept.txt"), "kept");
    try (InputStream in = Files.newInputStream(file)) {
      NoLeaks.snapshot().assertNothingLeft("kept file", SHORT);
    }
  }

  @Test
  void markedCommandLines_filtersByText() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(TestRun.python(), "-c", "import sys; sys.stdin.read()  # marked-one");
    pb.environment().putAll(TestRun.environment());
    Process python = pb.start();
    try {
      assertThat(NoLeaks.markedProcesses()).contains(python.pid());
      assertThat(NoLeaks.markedCommandLines("marked-one")).singleElement().asString()
          .startsWith(python.pid() + ": ");
      assertThat(NoLeaks.markedCommandLines("no-such-text")).isEmpty();
    } finally {
      python.getOutputStream().close();
      assertThat(python.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
  }
}
