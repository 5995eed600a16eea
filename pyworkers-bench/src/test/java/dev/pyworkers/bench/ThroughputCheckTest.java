package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.EvalType;
import dev.pyworkers.Pickles;
import dev.pyworkers.TaskMetrics;
import dev.pyworkers.TaskResults;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The result check that makes a fast but wrong run fail, fed by a stand-in for the runner's results. */
class ThroughputCheckTest {
  private static TaskResults<Object> results(Object... values) {
    Iterator<Object> it = List.of(values).iterator();
    return new TaskResults<>() {
      @Override public boolean hasNext() { return it.hasNext(); }
      @Override public Object next() { return it.next(); }
      @Override public TaskMetrics metrics() { return null; }
      @Override public void close() {}
    };
  }

  @Test
  void readRows_countsRightResults() {
    assertThat(ThroughputBenchmark.readRows(results(1L, 2L, 3L), ThroughputFunction.INC, EvalType.SQL_BATCHED_UDF))
        .isEqualTo(3);
  }

  @Test
  void readRows_whenOneResultIsWrong_failsNamingRowAndValue() {
    assertThatThrownBy(() -> ThroughputBenchmark.readRows(results("ROW0", "ROW2"), ThroughputFunction.STR,
        EvalType.SQL_BATCHED_UDF))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("str SQL_BATCHED_UDF: row 1 (input row1) gave 'ROW2' (String), which is not s.upper(); a wrong"
            + " result fails the benchmark");
  }

  @Test
  void readRecords_unpicklesEachBatch_andChecksEveryValue() {
    byte[] first = Pickles.dumps(List.of(0L, 1L));
    byte[] second = Pickles.dumps(List.of(2L));
    assertThat(ThroughputBenchmark.readRecords(results(first, second), ThroughputFunction.IDENTITY,
        EvalType.NON_UDF)).isEqualTo(3);
    byte[] wrong = Pickles.dumps(List.of(3L, 3L)); // row 2 must be 2
    assertThatThrownBy(() -> ThroughputBenchmark.readRecords(results(first, wrong), ThroughputFunction.IDENTITY,
        EvalType.NON_UDF))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("identity NON_UDF: row 2 (input 2) gave 3 (Long), which is not x");
  }
}
