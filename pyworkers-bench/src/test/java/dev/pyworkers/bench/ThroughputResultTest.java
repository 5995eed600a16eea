package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import dev.pyworkers.EvalType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThroughputResultTest {
  private static final long ROWS = 1000;

  /** A round with CPU numbers derived from its wall time, paired with a loop of {@code loopNanos}. */
  private static ThroughputCase.Round round(long wallNanos, long loopNanos) {
    return new ThroughputCase.Round(wallNanos, 2 * wallNanos, wallNanos, wallNanos / 2, wallNanos / 10, 3, 7,
        loopNanos, loopNanos / 2, loopNanos * 2);
  }

  private static ThroughputCase.Round wall(long nanos) {
    return round(nanos, 1000);
  }

  private static ThroughputCase c(ThroughputFunction f, EvalType t, long wallNanos, long loopNanos) {
    return new ThroughputCase(f, t, ROWS, List.of(round(wallNanos, loopNanos)));
  }

  /**
   * Three rounds whose paired ratios (40/100, 120/200, 60/300: 0.4, 0.6, 0.2) have the median 0.4, while the
   * ratio of the medians is 60/200 = 0.3: the baseline was slow in round 2 and our task slow in round 3.
   */
  private static final ThroughputCase DRIFTING = new ThroughputCase(ThroughputFunction.IDENTITY,
      EvalType.SQL_BATCHED_UDF, ROWS, List.of(round(100_000, 40_000), round(200_000, 120_000),
          round(300_000, 60_000)));

  private final ThroughputResult result = new ThroughputResult("/opt/py/bin/python3", "3.11.7", "python3",
      new ThroughputOptions("python3", ROWS, 4096, 1), 4242, 12,
      List.of(
          c(ThroughputFunction.IDENTITY, EvalType.SQL_BATCHED_UDF, 100_000, 40_000), // 0.4
          c(ThroughputFunction.IDENTITY, EvalType.NON_UDF, 50_000, 40_000), // 0.8
          c(ThroughputFunction.INC, EvalType.SQL_BATCHED_UDF, 50_000, 40_000), // 0.8
          c(ThroughputFunction.INC, EvalType.NON_UDF, 40_000, 40_000), // 1.0
          c(ThroughputFunction.STR, EvalType.SQL_BATCHED_UDF, 100_000, 60_000), // 0.6
          c(ThroughputFunction.STR, EvalType.NON_UDF, 100_000, 60_000)), // 0.6
      Map.of(ThroughputFunction.IDENTITY, new ThroughputJvmCost(ROWS, 30_000, 20_000)),
      2);

  @Test
  void ratios_areOurRowsPerSecondOverTheBaselines() {
    ThroughputCase identity = result.cases().get(0);
    assertThat(identity.rowsPerSecond()).isEqualTo(10_000_000.0);
    assertThat(identity.loopRowsPerSecond()).isEqualTo(25_000_000.0);
    assertThat(identity.vsLoop()).isEqualTo(0.4);
    assertThat(identity.vsMap()).isEqualTo(0.2);
    assertThat(identity.wallNanosPerRow()).isEqualTo(100.0);
    assertThat(identity.workerBusy()).isEqualTo(0.5);
  }

  @Test
  void headline_isTheMinimumOverTheFunctionsOfEachEvalType() {
    assertThat(result.headline(EvalType.SQL_BATCHED_UDF).function()).isEqualTo(ThroughputFunction.IDENTITY);
    assertThat(result.headline(EvalType.NON_UDF).function()).isEqualTo(ThroughputFunction.STR);
    assertThat(result.targetMet(EvalType.SQL_BATCHED_UDF)).isFalse();
    assertThat(result.targetMet(EvalType.NON_UDF)).isTrue();
  }

  @Test
  void median_isTheMiddleRoundByWallTime_lowerMiddleForAnEvenCount() {
    ThroughputCase odd = new ThroughputCase(ThroughputFunction.INC, EvalType.NON_UDF, ROWS,
        List.of(wall(300), wall(100), wall(200)));
    ThroughputCase even = new ThroughputCase(ThroughputFunction.INC, EvalType.NON_UDF, ROWS,
        List.of(wall(100), wall(400), wall(200), wall(300)));
    assertThat(odd.median().wallNanos()).isEqualTo(200);
    assertThat(even.median().wallNanos()).isEqualTo(200);
  }

  @Test
  void ratio_isTheMedianOfThePairedPerRoundRatios_notTheRatioOfTheMedians() {
    assertThat(DRIFTING.vsLoop()).isEqualTo(0.4);
    assertThat(DRIFTING.vsLoopMin()).isEqualTo(0.2);
    assertThat(DRIFTING.vsLoopMax()).isEqualTo(0.6);
    assertThat(DRIFTING.vsMap()).isEqualTo(0.2); // the map took half the loop's time in every round
    // rows/s stay medians: ours from the median round (200 ns), the loop's from its median time (60 ns) ...
    assertThat(DRIFTING.rowsPerSecond()).isEqualTo(5_000_000.0);
    assertThat(DRIFTING.loopRowsPerSecond()).isCloseTo(16_666_666.7, offset(0.1));
    // ... so their quotient is the ratio of the medians, which the case no longer reports
    assertThat(DRIFTING.rowsPerSecond() / DRIFTING.loopRowsPerSecond()).isCloseTo(0.3, offset(1e-9));
    assertThat(DRIFTING.baselineLoopNanos()).isEqualTo(60_000);
    assertThat(DRIFTING.workerAloneNanos()).isEqualTo(120_000);
    assertThat(DRIFTING.median().baselineLoopNanos()).isEqualTo(120_000); // the median round keeps its pairing
  }

  @Test
  void ratio_ofAnEvenCount_isTheLowerMiddlePairedRatio() {
    ThroughputCase even = new ThroughputCase(ThroughputFunction.INC, EvalType.NON_UDF, ROWS,
        List.of(round(100, 50), round(100, 80), round(100, 30), round(100, 70))); // 0.5, 0.8, 0.3, 0.7
    assertThat(even.vsLoop()).isEqualTo(0.5);
  }

  @Test
  void headlineAndJson_useTheMedianOfPairedRatios_andShowTheirSpread() {
    ThroughputResult drifting = new ThroughputResult("/opt/py/bin/python3", "3.11.7", "/opt/py/bin/python3",
        new ThroughputOptions("python3", ROWS, 4096, 3), 4242, 24,
        List.of(DRIFTING,
            c(ThroughputFunction.IDENTITY, EvalType.NON_UDF, 100_000, 90_000),
            c(ThroughputFunction.INC, EvalType.SQL_BATCHED_UDF, 100_000, 35_000), // 0.35: above 0.3, below 0.4
            c(ThroughputFunction.INC, EvalType.NON_UDF, 100_000, 90_000),
            c(ThroughputFunction.STR, EvalType.SQL_BATCHED_UDF, 100_000, 90_000),
            c(ThroughputFunction.STR, EvalType.NON_UDF, 100_000, 90_000)),
        Map.of(), 2);
    assertThat(drifting.headline(EvalType.SQL_BATCHED_UDF).function()).isEqualTo(ThroughputFunction.INC);
    assertThat(drifting.toJson())
        .startsWith("{\"batched_udf_vs_inprocess\":0.350,\"non_udf_vs_inprocess\":0.900,")
        .contains("\"batched_identity_vs_inprocess\":0.400,\"batched_identity_vs_map\":0.200,"
            + "\"batched_identity_rows_per_s\":5000000,")
        .contains("\"batched_identity_vs_inprocess_min\":0.200,\"batched_identity_vs_inprocess_max\":0.600,")
        .contains("\"nonudf_str_vs_inprocess_min\":0.900,\"nonudf_str_vs_inprocess_max\":0.900,"
            + "\"inprocess_identity_loop_rows_per_s\":16666667,");
    assertThat(drifting.tableLines())
        .contains("ratio      the median over the 3 rounds of the paired per-round ratio (loop time / our time in the"
            + " same round), not a ratio of medians; 'min-max' is their spread; rows/s columns are medians over the"
            + " rounds")
        .anySatisfy(line -> assertThat(line).isEqualTo("identity (x)          SQL_BATCHED_UDF        1000     0.000"
            + "     5,000,000    16,666,667   0.400  0.200-0.600    33,333,333   0.200"));
  }

  @Test
  void aCase_rejectsAWarmUpRound_whichHasNoPairedBaseline() {
    ThroughputCase.Round warmUp = new ThroughputCase.Round(100, 1, 1, 1, 1, 0, 0, -1, -1, -1);
    assertThatThrownBy(() -> new ThroughputCase(ThroughputFunction.STR, EvalType.NON_UDF, ROWS,
        List.of(round(100, 50), warmUp)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("round 2 of str NON_UDF needs a positive wall time and positive paired baseline"
            + " times (a warm-up task has none), got Round[wallNanos=100");
  }

  @Test
  void toJson_isOneLine_headlinesFirst_everyCaseAfter() {
    String json = result.toJson();
    assertThat(json).doesNotContain("\n").startsWith("{\"batched_udf_vs_inprocess\":0.400,"
        + "\"non_udf_vs_inprocess\":0.600,\"headline\":\"minimum over identity, inc, str of rows/s divided by the"
        + " in-process for-loop's, each the median over the rounds of the ratio paired within a round\","
        + "\"target\":0.5,\"batched_udf_target_met\":false,\"non_udf_target_met\":true,"
        + "\"batched_identity_vs_inprocess\":0.400,\"batched_identity_vs_map\":0.200,"
        + "\"batched_identity_rows_per_s\":10000000,\"nonudf_identity_vs_inprocess\":0.800,");
    assertThat(json)
        .contains("\"batched_str_vs_inprocess\":0.600", "\"nonudf_inc_vs_inprocess\":1.000",
            "\"inprocess_identity_loop_rows_per_s\":25000000", "\"inprocess_identity_map_rows_per_s\":50000000")
        .endsWith(",\"rows\":1000,\"batch_size\":4096,\"repeat\":1,\"worker_pid\":4242,\"tasks_on_one_worker\":12,"
            + "\"cpus\":2,\"others_cpu_max\":0.10,\"python\":\"/opt/py/bin/python3\"}");
  }

  @Test
  void tableLines_sayWhichTargetIsMissed_andShowPerRowCosts() {
    List<String> lines = result.tableLines();
    assertThat(lines)
        .contains("target     SQL_BATCHED_UDF >= 0.5x the in-process loop for every function: NOT met"
                + " (identity 0.400, inc 0.800, str 0.600)",
            "target     NON_UDF >= 0.5x the in-process loop for every function: met (identity 0.800, inc 1.000,"
                + " str 0.600)",
            "headline   batched_udf_vs_inprocess = 0.400 (the minimum over the functions, identity; vs the for-loop"
                + " baseline)")
        .anySatisfy(line -> assertThat(line).startsWith("python     /opt/py").endsWith("resolved from 'python3'"))
        .anySatisfy(line -> assertThat(line).startsWith("identity (x)          SQL_BATCHED_UDF        1000"
            + "     0.000    10,000,000    25,000,000   0.400  0.400-0.400    50,000,000   0.200"));
    // wall 100 ns/row, JVM 200, reader 100, worker 50 (50 % busy), others 10 %, GC 3/7, loop 40, alone 80, jvm 30/20
    assertThat(lines).anySatisfy(line -> assertThat(line).isEqualTo("identity (x)          SQL_BATCHED_UDF"
        + "    100.0    200.0    100.0     50.0      50%     10%       3/7  |     40.0      80.0     30.0     20.0"));
  }

  @Test
  void tableLines_explainEachMissedCase_withItsPerRowCosts() {
    // identity batched: 100 ns/row; the loop takes 40, so 0.5x allows 80; worker alone 80; JVM 200, worker 50
    assertThat(result.tableLines()).containsOnlyOnce("missed     identity SQL_BATCHED_UDF: 100.0 ns/row, the target"
        + " allows 80.0; the worker's own work alone takes 80.0; CPU per row: JVM 200.0 (reader 100.0), worker 50.0,"
        + " together 250.0 on 2 CPUs");
    assertThat(result.tableLines()).filteredOn(line -> line.startsWith("missed")).hasSize(1);
  }

  @Test
  void percent_roundsToWholePercent() {
    assertThat(ThroughputResult.percent(0.456)).isEqualTo("46%");
    assertThat(ThroughputResult.percent(1.0)).isEqualTo("100%");
  }
}
