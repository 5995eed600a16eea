package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.EvalType;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The whole harness end to end against real Python processes, on few rows. */
@ExtendWith(NoLeaks.class)
class ThroughputBenchmarkTest {
  private static final String PYTHON = TestRun.python();

  private static Set<Long> aliveChildren() {
    return ProcessHandle.current().children().filter(ProcessHandle::isAlive).map(ProcessHandle::pid)
        .collect(Collectors.toSet());
  }

  @Test
  void run_onFewRows_pairsEveryRoundWithItsBaseline_checksEveryResult_onOneWorker_andLeavesNoProcess() {
    Set<Long> before = aliveChildren();
    List<String> progress = new ArrayList<>();
    ThroughputResult r = new ThroughputBenchmark(new ThroughputOptions(PYTHON, 20_000, 1000, 2), progress::add).run();

    assertThat(r.cases()).hasSize(6);
    assertThat(r.cases()).allSatisfy(c -> {
      assertThat(c.rows()).isEqualTo(20_000);
      assertThat(c.rounds()).hasSize(2).allSatisfy(round -> {
        assertThat(round.wallNanos()).isPositive();
        assertThat(round.baselineLoopNanos()).isPositive();
        assertThat(round.baselineMapNanos()).isPositive();
        assertThat(round.workerAloneNanos()).isPositive();
      });
      assertThat(c.vsLoop()).isPositive().isBetween(c.vsLoopMin(), c.vsLoopMax());
    });
    // both eval types of a function share the baseline loop timed in their round
    for (ThroughputFunction f : ThroughputFunction.values()) {
      List<ThroughputCase> two = r.cases().stream().filter(c -> c.function() == f).toList();
      assertThat(two).hasSize(2);
      for (int i = 0; i < 2; i++) {
        assertThat(two.get(0).rounds().get(i).baselineLoopNanos())
            .isEqualTo(two.get(1).rounds().get(i).baselineLoopNanos());
      }
    }
    // the warm-up rounds, then two measured rounds, of one task per case
    assertThat(r.tasks()).isEqualTo(6 * ThroughputBenchmark.WARMUP_ROUNDS + 6 * 2);
    assertThat(r.workerPid()).isPositive();
    assertThat(r.jvm()).containsOnlyKeys(ThroughputFunction.values());
    assertThat(r.headline(EvalType.NON_UDF).vsLoop()).isPositive();
    assertThat(r.toJson()).startsWith("{\"batched_udf_vs_inprocess\":")
        .contains("\"tasks_on_one_worker\":" + r.tasks() + ",",
        "\"batched_identity_vs_inprocess_min\":", "\"nonudf_identity_vs_inprocess_max\":");
    assertThat(ProcessHandle.of(r.workerPid())).isEmpty();
    assertThat(aliveChildren()).as("the baseline process and the worker daemon must be gone").isSubsetOf(before);
    assertThat(progress).anySatisfy(line -> assertThat(line).startsWith("python: "));
    assertThat(progress).anySatisfy(line -> assertThat(line).startsWith("inc: round 2 of 2, in-process loop "));
    assertThat(progress).anySatisfy(line -> assertThat(line).startsWith("str NON_UDF: round 2 of 2, ")
        .contains(" rows/s, paired ratio "));
  }
}
