package dev.pyworkers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.internal.factory.RealPythonWorker;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The daemon survives garbage and rude clients; workers die with the JVM; output reaches the log with pids. */
@ExtendWith(NoLeaks.class)
class RobustnessTest {
  @TempDir Path tmp;

  private static long daemonOf(PythonWorker w) {
    return ProcessHandle.of(w.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
  }

  @Test
  void garbageOnTheDaemonSocket_andClientsLeavingMidHandshake_leaveTheDaemonServing() throws Exception {
    WorkerConfig config = TestPython.config().transport(Transport.UNIX).socketFolder(tmp).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory f = registry.factory(TestPython.env());
      PythonWorker w = f.create();
      long daemon = daemonOf(w);
      Path sock;
      try (Stream<Path> s = Files.walk(tmp)) {
        sock = s.filter(p -> p.getFileName().toString().startsWith("d")
            && p.toString().endsWith(".sock")).findFirst().orElseThrow();
      }
      Random random = new Random(42);
      for (int i = 0; i < 20; i++) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
          ch.connect(UnixDomainSocketAddress.of(sock));
          if (i % 2 == 0) {
            byte[] junk = new byte[1 + random.nextInt(200)];
            random.nextBytes(junk);
            ch.write(ByteBuffer.wrap(junk));
          } else {
            ch.read(ByteBuffer.allocate(10));
          }
        }
      }
      PythonWorker next = f.create();
      next.ping(Duration.ofSeconds(5));
      assertThat(daemonOf(next)).isEqualTo(daemon);
      assertThat(f.stats().daemonRestarts()).isZero();
      f.release(w);
      f.release(next);
    }
  }

  @Test
  void garbageOnTheDaemonStdin_leavesItAliveAndKillsStillWork() throws Exception {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build())) {
      WorkerFactory f = registry.factory(TestPython.env());
      PythonWorker w = f.create();
      long daemon = daemonOf(w);
      // /proc/<pid>/fd/0 of the daemon is its stdin pipe; opening it for writing joins the JVM as a writer.
      try (OutputStream stdin = Files.newOutputStream(Path.of("/proc/" + daemon + "/fd/0"))) {
        byte[] junk = new byte[333];
        new Random(7).nextBytes(junk);
        stdin.write(junk);
        stdin.write("KIL not a command KILLKILL".getBytes(StandardCharsets.US_ASCII));
        stdin.flush();
      }
      PythonWorker other = f.create();
      other.ping(Duration.ofSeconds(5));
      f.stop(other);
      FactoryBehaviourTest.awaitDead(other.pid());
      assertThat(ProcessHandle.of(daemon).map(ProcessHandle::isAlive)).contains(true);
      assertThat(daemonOf(f.create())).isEqualTo(daemon);
      assertThat(f.stats().daemonRestarts()).isZero();
      f.release(w);
    }
  }

  @Test
  void workerOutput_isRelayedWithItsPid() {
    WorkerConfig config = TestPython.config().workerModule("fake_printing_worker").build();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory f = registry.factory(TestPython.env());
      PythonWorker w = f.create();
      w.ping(Duration.ofSeconds(5));
      RealPythonWorker real = (RealPythonWorker) w;
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> real.outputTail().contains("stderr from a worker"));
      assertThat(real.outputTail()).contains("hello on stdout from a worker");
      f.release(w);
    }
  }

  @Test
  void childJvmKilledWithSigkill_leavesNoPythonBehindAfterTwoSeconds() throws Exception {
    Process child = TestPython.childJvm(
        ChildJvm.class, TestPython.executable(), TestPython.RUN_ID, TestPython.FAKES.toString()).start();
    List<Long> pids = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line = r.readLine();
      assertThat(line).startsWith("PIDS ");
      for (String p : line.substring(5).trim().split(" ")) pids.add(Long.parseLong(p));
      assertThat(pids).hasSize(4);
      for (long pid : pids) assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);
      child.destroyForcibly();
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
      long killedAt = System.nanoTime();
      for (long pid : pids) FactoryBehaviourTest.awaitDead(pid);
      assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isLessThan(Duration.ofSeconds(2));
    } finally {
      child.destroyForcibly();
    }
  }

  /** Run in a child JVM: starts a daemon worker and a simple worker, prints their pids, then waits to be killed. */
  public static final class ChildJvm {
    public static void main(String[] args) throws Exception {
      PythonEnvironment env = PythonEnvironment.of(args[0], java.util.Map.of(
          TestPython.MARKER, args[1], "PYTHONPATH", args[2]));
      WorkerConfig base = TestPython.config().build();
      WorkerRegistry daemonMode = WorkerRegistry.create(base);
      WorkerRegistry simpleMode = WorkerRegistry.create(base.toBuilder().mode(WorkerMode.SIMPLE).build());
      PythonWorker d = daemonMode.factory(env).create();
      PythonWorker idle = daemonMode.factory(env).create();
      daemonMode.factory(env).release(idle);
      PythonWorker s = simpleMode.factory(env).create();
      System.out.println("PIDS " + daemonOf(d) + " " + d.pid() + " " + idle.pid() + " " + s.pid());
      System.out.flush();
      new java.util.concurrent.CountDownLatch(1).await();
    }
  }
}
