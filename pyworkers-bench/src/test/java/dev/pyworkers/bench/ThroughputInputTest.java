package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.Pickles;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThroughputInputTest {
  @Test
  void rows_areOneColumnRowsOfEveryValue() {
    List<Object> values = new ArrayList<>();
    ThroughputInput.rows(ThroughputFunction.STR, 3).forEachRemaining(r -> {
      assertThat(r).hasSize(1);
      values.add(r[0]);
    });
    assertThat(values).containsExactly("row0", "row1", "row2");
  }

  @Test
  void pickledBatches_holdEveryValueInOrder_lastBatchShorter() {
    Iterator<byte[]> it = ThroughputInput.pickledBatches(ThroughputFunction.INC, 7, 3);
    List<Integer> sizes = new ArrayList<>();
    List<Long> values = new ArrayList<>();
    while (it.hasNext()) {
      List<?> batch = (List<?>) Pickles.loads(it.next());
      sizes.add(batch.size());
      for (Object v : batch) values.add(((Number) v).longValue());
    }
    assertThat(sizes).containsExactly(3, 3, 1);
    assertThat(values).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
  }
}
