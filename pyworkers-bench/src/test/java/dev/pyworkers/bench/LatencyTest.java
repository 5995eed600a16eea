package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class LatencyTest {
  @Test
  void percentiles_useNearestRankWithoutInterpolation() {
    long[] hundred = LongStream.rangeClosed(1, 100).map(i -> 101 - i).toArray(); // 100 .. 1, unsorted
    Latency l = Latency.of(hundred);
    assertThat(l.percentileNanos(50)).isEqualTo(50);
    assertThat(l.percentileNanos(99)).isEqualTo(99);
    assertThat(l.percentileNanos(100)).isEqualTo(100);
    assertThat(l.percentileNanos(0.5)).isEqualTo(1);
  }

  @Test
  void percentiles_ofTenSamples_pickTheRankAtOrAbove() {
    Latency l = Latency.of(new long[] {10, 20, 30, 40, 50, 60, 70, 80, 90, 100});
    assertThat(l.percentileNanos(50)).isEqualTo(50); // rank ceil(5.0) = 5
    assertThat(l.percentileNanos(99)).isEqualTo(100); // rank ceil(9.9) = 10
  }

  @Test
  void of_doesNotSortTheCallersArray() {
    long[] samples = {3, 1, 2};
    Latency.of(samples);
    assertThat(samples).containsExactly(3, 1, 2);
  }

  @Test
  void of_withNoSamples_throws() {
    assertThatThrownBy(() -> Latency.of(new long[0])).isInstanceOf(IllegalArgumentException.class);
  }
}
