package dev.pyworkers.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The benchmark's arithmetic and its JSON line. No processes. */
class RunJobBenchResultTest {
  @Test
  void ratioComparesTheMedians_andTheJsonNamesTheIssuesKeys() {
    double[] plain = {6.0, 5.0, 5.5};
    double[] run = {3.0, 2.0, 2.5};
    RunJobBenchResult r = new RunJobBenchResult(2_000_000, 71_000_000, 2, "py\"3", RunJobBenchmark.median(plain),
        RunJobBenchmark.median(run), plain, run);
    assertThat(r.ratio()).isEqualTo(2.5 / 5.5);
    assertThat(r.targetMet()).isTrue();
    assertThat(r.toJson()).startsWith("{\"records\":2000000,\"input_bytes\":71000000,\"workers\":2,"
        + "\"plain_script_s\":5.500,\"pyworkers_run_s\":2.500,\"ratio\":0.455,\"target_ratio\":0.75,"
        + "\"target_met\":true,").endsWith("\"python\":\"py\\\"3\"}");
    assertThat(r.tableLines()).anyMatch(l -> l.equals("target     ratio <= 0.75: met"));
    assertThat(RunJobBenchmark.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
  }

  @Test
  void plainScript_isTheIdiomaticLoop() {
    assertThat(RunJobBenchmark.PLAIN_SCRIPT)
        .contains("for line in inp:\n        out.write(json.dumps(f(json.loads(line))) + \"\\n\")")
        .contains(RunJobBenchmark.UDF);
  }
}
