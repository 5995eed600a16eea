package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code bench arrow} end to end on few rows against a real worker and a real in-process Python loop. */
@ExtendWith(NoLeaks.class)
class ArrowBenchmarkTest {
  @Test
  void run_onFewRows_measuresEveryCase_withABatchThatIsNotFull() throws Exception {
    List<String> progress = new ArrayList<>();
    // 25,000 rows in batches of 10,000: the last batch is short, and every result is checked
    ArrowBenchResult r = new ArrowBenchmark(new ArrowBenchOptions(TestRun.python(), 25_000, 10_000, 1, 1_500), progress::add)
        .run();
    assertThat(r.pandasScalarRowsPerSecond()).isPositive();
    assertThat(r.rowPathRowsPerSecond()).isPositive();
    assertThat(r.inProcessPandasRowsPerSecond()).isPositive();
    assertThat(r.identityGbPerSecond()).isPositive();
    // 1,500 groups of 10 rows: 15,000 rows in two batches, a group never split between them (10,000 is a multiple)
    assertThat(r.groupedMapPandasMicrosPerGroup()).isPositive();
    assertThat(r.groupedMapArrowMicrosPerGroup()).isPositive();
    assertThat(r.toJson()).startsWith("{\"pandas_scalar_rows_s\":").contains("\"rows\":25000,\"batch_rows\":10000");
    assertThat(progress).anyMatch(l -> l.startsWith("pandas scalar: done"))
        .anyMatch(l -> l.startsWith("in-process pandas: done"));
  }

  @Test
  void result_jsonHasEveryKeyInOrder_andTheRatios() {
    ArrowBenchResult r = new ArrowBenchResult("/py", "3.11.7", 10, 5, 1, 40e6, 20e6, 200e6, 0.95, 7, 450.25, 33.5);
    assertThat(r.toJson()).isEqualTo("{\"pandas_scalar_rows_s\":40000000,\"row_path_rows_s\":20000000,"
        + "\"arrow_vs_row_path\":2.00,\"inprocess_pandas_rows_s\":200000000,\"vs_inprocess\":0.200,"
        + "\"identity_gb_s\":0.950,\"grouped_map_pandas_us_per_group\":450.3,\"grouped_map_arrow_us_per_group\":33.5,"
        + "\"rows\":10,\"batch_rows\":5,\"groups\":7,\"repeat\":1,\"python\":\"/py\"}");
    assertThat(r.tableLines()).contains("arrow vs row path: 2.0x (goal >= 10): NOT met",
        "applyInArrow 33.5 us/group (goal <= 30): NOT met");
  }

  @Test
  void options_outOfRange_nameTheOptionAndTheValue() {
    assertThatThrownBy(() -> new ArrowBenchOptions("python3", 0, 10, 1, 1)).hasMessage("--rows must be 1..100000000, got 0");
    assertThatThrownBy(() -> new ArrowBenchOptions("python3", 10, 0, 1, 1))
        .hasMessage("--batch-rows must be 1..1000000, got 0");
    assertThatThrownBy(() -> new ArrowBenchOptions("python3", 10, 10, 0, 1)).hasMessage("--repeat must be 1..100, got 0");
    assertThatThrownBy(() -> new ArrowBenchOptions("python3", 10, 10, 1, 0))
        .hasMessage("--groups must be 1..10000000, got 0");
  }
}
