package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.EvalType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The whole harness end to end against real Python processes, on few rows. */
class ThroughputBenchmarkTest {
  private static final String PYTHON = System.getProperty("pyworkers.test.python", "python3");

  @Test
  void run_onFewRows_checksEveryResult_onOneWorker_andLeavesNoProcess() {
    List<String> progress = new ArrayList<>();
    ThroughputResult r = new ThroughputBenchmark(new ThroughputOptions(PYTHON, 20_000, 1000, 2), progress::add).run();

    assertThat(r.cases()).hasSize(6);
    assertThat(r.cases()).allSatisfy(c -> {
      assertThat(c.rows()).isEqualTo(20_000);
      assertThat(c.rounds()).hasSize(2);
      assertThat(c.vsLoop()).isPositive();
    });
    assertThat(r.tasks()).isEqualTo(6 + 6 * 2); // one warm-up per case, then two rounds
    assertThat(r.workerPid()).isPositive();
    assertThat(r.jvm()).containsOnlyKeys(ThroughputFunction.values());
    assertThat(r.headline(EvalType.NON_UDF).vsLoop()).isPositive();
    assertThat(r.toJson()).startsWith("{\"batched_udf_vs_inprocess\":").contains("\"tasks_on_one_worker\":18");
    assertThat(ProcessHandle.of(r.workerPid())).isEmpty();
    assertThat(progress).anySatisfy(line -> assertThat(line).startsWith("python: "));
  }
}
