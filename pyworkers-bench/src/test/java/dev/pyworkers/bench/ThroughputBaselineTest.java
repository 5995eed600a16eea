package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThroughputBaselineTest {
  private static final String SAMPLE = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3});

  @Test
  void parse_readsOneLinePerFunction() {
    Map<ThroughputFunction, ThroughputBaseline.Times> times = ThroughputBaseline.parse(List.of(
        "identity 10,30,20 11,12,13 40,41,42 50,51,52 4096 " + SAMPLE,
        "inc 1 2 3 4 0 " + SAMPLE,
        "str 5 6 7 8 8192 " + SAMPLE));
    assertThat(times).containsOnlyKeys(ThroughputFunction.values());
    ThroughputBaseline.Times identity = times.get(ThroughputFunction.IDENTITY);
    assertThat(identity.loopNanos()).containsExactly(10, 30, 20);
    assertThat(identity.workerNonUdfNanos()).containsExactly(50, 51, 52);
    assertThat(identity.sampleStart()).isEqualTo(4096);
    assertThat(identity.sample()).containsExactly(1, 2, 3);
  }

  @Test
  void parse_whenAFunctionIsMissing_fails() {
    assertThatThrownBy(() -> ThroughputBaseline.parse(List.of("inc 1 2 3 4 0 " + SAMPLE)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("expected every one of");
  }

  @Test
  void parse_whenALineIsMalformed_namesIt() {
    assertThatThrownBy(() -> ThroughputBaseline.parse(List.of("Traceback (most recent call last):")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unexpected line: Traceback");
  }
}
