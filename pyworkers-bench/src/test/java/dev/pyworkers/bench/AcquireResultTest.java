package dev.pyworkers.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.Transport;
import org.junit.jupiter.api.Test;

class AcquireResultTest {
  private static Latency micros(long... values) {
    long[] nanos = new long[values.length];
    for (int i = 0; i < values.length; i++) nanos[i] = values[i] * 1_000;
    return Latency.of(nanos);
  }

  private final AcquireResult result = new AcquireResult(
      "/opt/py \"3\"/bin/python3", "3.11.7", "python3", Transport.UNIX,
      micros(20, 30), micros(3_000, 4_000), micros(60_000, 90_000), micros(250_000), micros(20, 30),
      micros(21, 31), 2);

  @Test
  void toJson_isOneLineWithEveryKeyInOrder() {
    assertThat(result.toJson()).isEqualTo(
        "{\"reuse_p50_us\":20.0,\"reuse_p99_us\":30.0,\"fork_p50_us\":3000.0,\"fork_p99_us\":4000.0,"
            + "\"spawn_p50_us\":60000.0,\"spawn_p99_us\":90000.0,\"cold_start_ms\":250.0,"
            + "\"fork_vs_spawn_speedup\":20.0,\"reuse_no_listener_p50_us\":20.0,\"reuse_listener_p50_us\":21.0,"
            + "\"listener_vs_none_reuse\":1.050,\"iterations\":2,\"python\":\"/opt/py \\\"3\\\"/bin/python3\"}");
  }

  @Test
  void tableLines_reportRatioAndTargets() {
    assertThat(result.tableLines())
        .contains("fork vs spawn: fork p50 is 20.0x faster than spawn p50 (same run)")
        .contains("target     reuse p50 <= 50 us: met", "target     fork p50 <= 5 ms: met",
            "target     fork >= 10x faster than spawn: met")
        .anySatisfy(line -> assertThat(line).startsWith("python     /opt/py").endsWith("resolved from 'python3'"));
  }

  @Test
  void jsonString_escapesControlCharacters() {
    assertThat(AcquireResult.jsonString("a\\b\n\u0001")).isEqualTo("\"a\\\\b\\n\\u0001\"");
  }
}
