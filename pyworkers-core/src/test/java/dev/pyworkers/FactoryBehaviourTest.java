package dev.pyworkers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.testing.FakeTicker;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One behavioural suite of the factory, run against real Python over daemon/simple and Unix/TCP. */
@ExtendWith(NoLeaks.class)
class FactoryBehaviourTest {
  private static final Duration PING = Duration.ofSeconds(5);

  static Stream<Arguments> allVariants() {
    return Stream.of(
        Arguments.of(WorkerMode.DAEMON, Transport.UNIX),
        Arguments.of(WorkerMode.DAEMON, Transport.TCP),
        Arguments.of(WorkerMode.SIMPLE, Transport.UNIX),
        Arguments.of(WorkerMode.SIMPLE, Transport.TCP));
  }

  static Stream<Arguments> daemonVariants() {
    return Stream.of(Arguments.of(WorkerMode.DAEMON, Transport.UNIX), Arguments.of(WorkerMode.DAEMON, Transport.TCP));
  }

  private static WorkerRegistry registry(WorkerMode mode, Transport transport) {
    return WorkerRegistry.create(TestPython.config().mode(mode).transport(transport).build());
  }

  @ParameterizedTest(name = "{0} over {1}")
  @MethodSource("allVariants")
  void create_returnsAuthenticatedLiveWorkerThatAnswersPing(WorkerMode mode, Transport transport) {
    try (WorkerRegistry registry = registry(mode, transport)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker w = factory.create();
      assertThat(w.mode()).isEqualTo(mode);
      assertThat(w.isAlive()).isTrue();
      assertThat(w.pid()).isNotEqualTo(ProcessHandle.current().pid());
      w.ping(PING);
      w.ping(PING);
      factory.release(w);
      WorkerStats s = factory.stats();
      assertThat(mode == WorkerMode.DAEMON ? s.forked() : s.spawned()).isEqualTo(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(WorkerMode.class)
  void tcpOverIpv6Loopback_works(WorkerMode mode) throws Exception {
    WorkerConfig config = TestPython.config().mode(mode).transport(Transport.TCP).preferIpv6(true).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker w = factory.create();
      w.ping(PING);
      java.net.SocketAddress peer = ((dev.pyworkers.internal.factory.RealPythonWorker) w).channel().getRemoteAddress();
      assertThat(((java.net.InetSocketAddress) peer).getAddress()).isInstanceOf(java.net.Inet6Address.class);
      factory.release(w);
    }
  }

  @ParameterizedTest(name = "{0} over {1}")
  @MethodSource("daemonVariants")
  void releaseThenCreate_returnsTheSamePid(WorkerMode mode, Transport transport) {
    try (WorkerRegistry registry = registry(mode, transport)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker first = factory.create();
      long pid = first.pid();
      factory.release(first);
      PythonWorker again = factory.create();
      assertThat(again.pid()).isEqualTo(pid);
      assertThat(again.tasksServed()).isEqualTo(2);
      again.ping(PING);
      factory.release(again);
      assertThat(factory.stats().reused()).isEqualTo(1);
      assertThat(factory.stats().forked()).isEqualTo(1);
    }
  }

  @Test
  void simpleWorkers_areNotPooled_releaseEndsTheProcess() {
    try (WorkerRegistry registry = registry(WorkerMode.SIMPLE, Transport.UNIX)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker first = factory.create();
      factory.release(first);
      awaitDead(first.pid());
      PythonWorker second = factory.create();
      assertThat(second.pid()).isNotEqualTo(first.pid());
      factory.release(second);
      assertThat(factory.stats().spawned()).isEqualTo(2);
      assertThat(factory.stats().reused()).isZero();
    }
  }

  @ParameterizedTest(name = "{0} over {1}")
  @MethodSource("allVariants")
  void stop_killsThatPid(WorkerMode mode, Transport transport) {
    try (WorkerRegistry registry = registry(mode, transport)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker w = factory.create();
      factory.stop(w);
      awaitDead(w.pid());
      factory.stop(w);
      assertThat(factory.stats().killed()).isEqualTo(1);
      assertThatThrownBy(() -> w.ping(PING)).isInstanceOf(PythonWorkerException.class);
    }
  }

  @ParameterizedTest(name = "{0} over {1}")
  @MethodSource("daemonVariants")
  void create_whenDaemonWasKilled_restartsIt(WorkerMode mode, Transport transport) {
    try (WorkerRegistry registry = registry(mode, transport)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker w = factory.create();
      long daemonPid = ProcessHandle.of(w.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
      factory.stop(w);
      ProcessHandle.of(daemonPid).orElseThrow().destroyForcibly();
      awaitDead(daemonPid);
      PythonWorker fresh = factory.create();
      fresh.ping(PING);
      long newDaemon = ProcessHandle.of(fresh.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
      assertThat(newDaemon).isNotEqualTo(daemonPid);
      assertThat(factory.stats().daemonRestarts()).isEqualTo(1);
      factory.release(fresh);
    }
  }

  @ParameterizedTest(name = "{0} over {1}")
  @MethodSource("daemonVariants")
  void create_whenIdleWorkerWasKilled_discardsItAndForksAnother(WorkerMode mode, Transport transport) {
    try (WorkerRegistry registry = registry(mode, transport)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker w = factory.create();
      factory.release(w);
      ProcessHandle.of(w.pid()).orElseThrow().destroyForcibly();
      awaitDead(w.pid());
      PythonWorker next = factory.create();
      assertThat(next.pid()).isNotEqualTo(w.pid());
      next.ping(PING);
      factory.release(next);
      assertThat(factory.stats().discardedDead()).isEqualTo(1);
      assertThat(factory.stats().forked()).isEqualTo(2);
    }
  }

  /** Narrated with a fake ticker; ProcessLifetimeTest and SlowKillTest evict on real time. */
  @Test
  void idleTimeout_evictsEachIdleWorkerWhenItsOwnIdleTimePasses() {
    FakeTicker ticker = new FakeTicker();
    WorkerConfig config = TestPython.config().idleTimeout(Duration.ofMinutes(10)).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config, ticker)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker a = factory.create();
      PythonWorker b = factory.create();
      factory.release(a);
      ticker.advance(Duration.ofMinutes(4));
      factory.release(b);
      assertThat(factory.stats().idle()).isEqualTo(2);
      ticker.advance(Duration.ofMinutes(6));
      await("a, idle for 10 min, is evicted").atMost(Duration.ofSeconds(10))
          .until(() -> factory.stats().evicted() == 1);
      awaitDead(a.pid());
      assertThat(factory.stats().idle()).as("b has been idle for 6 min only").isEqualTo(1);
      assertThat(b.isAlive()).isTrue();
      ticker.advance(Duration.ofMinutes(4));
      await("b, idle for 10 min, is evicted").atMost(Duration.ofSeconds(10))
          .until(() -> factory.stats().evicted() == 2);
      awaitDead(b.pid());
      assertThat(factory.stats().idle()).isZero();
    }
  }

  @Test
  void poolBound_evictsTheOldestIdleWorker() {
    WorkerConfig config = TestPython.config().idlePoolSize(2).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      List<PythonWorker> ws = new ArrayList<>();
      for (int i = 0; i < 3; i++) ws.add(factory.create());
      for (PythonWorker w : ws) factory.release(w);
      awaitDead(ws.get(0).pid());
      assertThat(ws.get(1).isAlive()).isTrue();
      assertThat(ws.get(2).isAlive()).isTrue();
      assertThat(factory.stats().evicted()).isEqualTo(1);
      assertThat(factory.stats().idle()).isEqualTo(2);
      assertThat(factory.create().pid()).isEqualTo(ws.get(2).pid());
    }
  }

  @Test
  void maxTasksPerWorker_recyclesAWorkerAfterItsLimit() {
    WorkerConfig config = TestPython.config().maxTasksPerWorker(2).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker w = factory.create();
      factory.release(w);
      PythonWorker same = factory.create();
      assertThat(same.pid()).isEqualTo(w.pid());
      factory.release(same);
      awaitDead(w.pid());
      PythonWorker fresh = factory.create();
      assertThat(fresh.pid()).isNotEqualTo(w.pid());
      factory.release(fresh);
      assertThat(factory.stats().recycled()).isEqualTo(1);
    }
  }

  @Test
  void reuseOff_stopsReleasedDaemonWorkers() {
    WorkerConfig config = TestPython.config().reuseWorkers(false).build();
    try (WorkerRegistry registry = WorkerRegistry.create(config)) {
      WorkerFactory factory = registry.factory(TestPython.env());
      PythonWorker w = factory.create();
      factory.release(w);
      awaitDead(w.pid());
      assertThat(factory.stats().idle()).isZero();
    }
  }

  @Test
  void registry_handsOutOneFactoryPerEnvironment_andCloseStopsEverything() {
    PythonWorker w1;
    PythonWorker w2;
    long daemon;
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build())) {
      WorkerFactory f1 = registry.factory(TestPython.env());
      assertThat(registry.factory(TestPython.env())).isSameAs(f1);
      WorkerFactory f2 = registry.factory(TestPython.env(java.util.Map.of("EXTRA", "1")));
      assertThat(f2).isNotSameAs(f1);
      w1 = f1.create();
      w2 = f2.create();
      daemon = ProcessHandle.of(w1.pid()).flatMap(ProcessHandle::parent).orElseThrow().pid();
      f1.release(w1);
    }
    awaitDead(w1.pid());
    awaitDead(w2.pid());
    awaitDead(daemon);
  }

  @Test
  void releaseTwice_isAnError_andForeignWorkersAreRejected() {
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build())) {
      WorkerFactory f1 = registry.factory(TestPython.env());
      WorkerFactory f2 = registry.factory(TestPython.env(java.util.Map.of("EXTRA", "1")));
      PythonWorker w = f1.create();
      assertThatThrownBy(() -> f2.release(w))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("was not created by this factory");
      f1.release(w);
      assertThatThrownBy(() -> f1.release(w))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("released twice");
    }
  }

  @Test
  void closedFactory_refusesCreate() {
    WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
    WorkerFactory f = registry.factory(TestPython.env());
    registry.close();
    assertThatThrownBy(f::create).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> registry.factory(TestPython.env())).isInstanceOf(IllegalStateException.class);
  }

  static void awaitDead(long pid) {
    await("pid " + pid + " exits")
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive() || isZombie(pid)).orElse(true));
  }

  private static boolean isZombie(long pid) {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
    } catch (java.io.IOException e) {
      return true;
    }
  }
}
