package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Task context, reuse hygiene, broadcasts, accumulators, includes, cloudpickle, and a differential check. */
@ExtendWith(NoLeaks.class)
class RunnerContextTest {
  @TempDir Path tmp;


  @Test
  void reusedWorker_seesOnlyItsOwnTaskContext() {
    PythonFunction describe = TestPython.source(
        "from pyworkers.context import TaskContext\n"
            + "def f(x):\n"
            + "    c = TaskContext.get()\n"
            + "    return '%d/%d/%d/%d/%d/%s/%s' % (c.stage_id, c.partition_id, c.attempt_number, c.task_attempt_id,"
            + " c.cpus, c.get_local_property('who'), sorted(c.resources.items()))\n", "f");
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, describe)).build()) {
      TaskContext first = TaskContext.builder().stageId(7).partitionId(3).attemptNumber(1).taskAttemptId(99)
          .localProperties(Map.of("who", "first")).resources(Map.of("gpu", List.of("0", "1"))).build();
      TaskResults<Object> a = runner.compute(List.<Object>of((Object) new Object[] {1L}).iterator(), 3, first);
      assertThat(drain(a)).containsExactly("7/3/1/99/1/first/[('gpu', ['0', '1'])]");
      TaskResults<Object> b = runner.compute(List.<Object>of((Object) new Object[] {1L}).iterator(), 4, TaskContext.of(4));
      assertThat(drain(b)).containsExactly("0/4/0/0/1/None/[]");
      assertThat(b.metrics().workerPid()).isEqualTo(a.metrics().workerPid());
      assertThat(first.isCompleted()).isTrue();
    }
  }

  @Test
  void broadcastsAndAccumulators_acrossTasksOnOneWorker() {
    PythonAccumulator acc = new PythonAccumulator();
    PythonFunction lookup = TestPython.source(
        "from pyworkers.context import broadcast, accumulate\n"
            + "def f(x):\n"
            + "    accumulate(x)\n"
            + "    return broadcast(1)[x]\n", "f")
        .withBroadcasts(List.of(Broadcast.of(1, List.of("zero", "one", "two"))))
        .withAccumulator(acc);
    PythonFunction other = TestPython.source(
        "from pyworkers.context import broadcast\n"
            + "def g(x):\n"
            + "    try:\n        broadcast(1)\n        return 'still there'\n"
            + "    except KeyError:\n        return broadcast(2)['k']\n", "g")
        .withBroadcasts(List.of(Broadcast.of(2, Map.of("k", "v"))));
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner r1 = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, lookup)).build();
        PythonRunner r2 = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, other)).build()) {
      List<Object[]> rows = List.of(new Object[] {2L}, new Object[] {0L});
      TaskResults<Object> a = r1.compute(rows.iterator(), 0, TaskContext.of(0));
      assertThat(drain(a)).containsExactly("two", "zero");
      assertThat(acc.values()).containsExactly(2L, 0L);
      TaskResults<Object> b = r2.compute(List.<Object>of((Object) new Object[] {1L}).iterator(), 1, TaskContext.of(1));
      assertThat(drain(b)).containsExactly("v");
      assertThat(b.metrics().workerPid()).isEqualTo(a.metrics().workerPid());
      TaskResults<Object> c = r1.compute(List.<Object>of((Object) new Object[] {1L}).iterator(), 2, TaskContext.of(2));
      assertThat(drain(c)).containsExactly("one");
      assertThat(acc.values()).containsExactly(2L, 0L, 1L);
    }
  }

  @Test
  void includes_andReferences_toUserModules() throws IOException {
    Path lib = Files.createDirectories(tmp.resolve("lib"));
    Files.writeString(lib.resolve("user_udfs_for_test.py"), "def shout(s):\n    return s.upper() + '!'\n");
    PythonFunction shout = TestPython.reference("user_udfs_for_test:shout").withIncludes(List.of("lib"));
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = PythonRunner.builder(registry).filesFolder(tmp)
            .udf(PythonUdf.of(new int[] {0}, shout)).build()) {
      assertThat(drain(runner.compute(List.<Object>of((Object) new Object[] {"hey"}).iterator(), 0, TaskContext.of(0))))
          .containsExactly("HEY!");
    }
  }

  @Test
  void cloudpickledFunction_fromAPythonDriver_runs() throws Exception {
    Process p = new ProcessBuilder(TestPython.executable(), "-c",
        "import cloudpickle, sys\nk = 3\nsys.stdout.buffer.write(cloudpickle.dumps(lambda x: x * k + 1))").start();
    byte[] payload = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    PythonFunction f = PythonFunction.cloudpickle(payload).withEnv(TestPython.functionEnv())
        .withPythonExecutable(TestPython.executable()).withReturnType(ReturnType.LONG);
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, f)).build()) {
      assertThat(drain(runner.compute(List.<Object>of(new Object[] {5L}, new Object[] {-1L}).iterator(), 0,
          TaskContext.of(0)))).containsExactly(16L, -2L);
    }
  }

  /** The runner's results equal the same functions evaluated in-process by Python, compared by Python itself. */
  @Test
  void differential_resultsEqualInProcessPython() throws Exception {
    String src = "import math\n"
        + "def f(a, s, d):\n"
        + "    if a is None:\n        return None\n"
        + "    return (a * 7 - len(s or '')) % 1000003, (s or '').swapcase()[::-1], round(math.sqrt(abs(d)) * a, 6)\n";
    PythonFunction f = TestPython.source(src, "f");
    Random random = new Random(1234);
    List<Object[]> rows = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      StringBuilder s = new StringBuilder();
      for (int c = random.nextInt(12); c > 0; c--) s.append((char) ('A' + random.nextInt(58)));
      rows.add(new Object[] {i % 997 == 0 ? null : (long) random.nextInt(1_000_000) - 500_000,
          i % 13 == 0 ? null : s.toString(), random.nextDouble() * 1e6 - 5e5});
    }
    List<Object> out;
    try (WorkerRegistry registry = WorkerRegistry.create(TestPython.config().build());
        PythonRunner runner = PythonRunner.builder(registry).batchSize(333)
            .udf(PythonUdf.of(new int[] {0, 1, 2}, f)).build()) {
      out = drain(runner.compute(rows.iterator(), 0, TaskContext.of(0)));
    }
    Path in = tmp.resolve("in.pickle");
    Path got = tmp.resolve("got.pickle");
    Path code = tmp.resolve("udf.py");
    Files.write(in, Pickles.dumps(rows));
    Files.write(got, Pickles.dumps(out));
    Files.writeString(code, src);
    Process p = new ProcessBuilder(TestPython.executable(), "-c",
        "import pickle, sys\n"
            + "ns = {}\nexec(open(sys.argv[3]).read(), ns)\n"
            + "rows = pickle.load(open(sys.argv[1], 'rb'))\n"
            + "got = pickle.load(open(sys.argv[2], 'rb'))\n"
            + "want = [ns['f'](*r) for r in rows]\n"
            + "got = [tuple(g) if isinstance(g, list) else g for g in got]\n"
            + "bad = [(i, w, g) for i, (w, g) in enumerate(zip(want, got)) if w != g]\n"
            + "print('rows', len(want), len(got), 'mismatches', len(bad), bad[:3])\n"
            + "sys.exit(0 if len(want) == len(got) and not bad else 1)\n",
        in.toString(), got.toString(), code.toString()).redirectErrorStream(true).start();
    String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(report).isZero();
    assertThat(report).contains("rows 20000 20000 mismatches 0");
  }
}
