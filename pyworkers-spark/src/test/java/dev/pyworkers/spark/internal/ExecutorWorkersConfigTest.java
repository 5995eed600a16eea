package dev.pyworkers.spark.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.WorkerConfig;
import dev.pyworkers.WorkerMode;
import java.time.Duration;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The executors' spark.pyworkers.* settings: read into a WorkerConfig, and a bad one named with its value. */
class ExecutorWorkersConfigTest {
  @Test
  void settingsAreReadAndDefaultsKept() {
    WorkerConfig defaults = ExecutorWorkers.config(new SparkConf(false));
    assertThat(defaults.idlePoolSize()).isEqualTo(WorkerConfig.defaults().idlePoolSize());
    WorkerConfig c = ExecutorWorkers.config(new SparkConf(false)
        .set("spark.pyworkers.mode", "Simple")
        .set("spark.pyworkers.reuseWorkers", "false")
        .set("spark.pyworkers.idlePoolSize", "3")
        .set("spark.pyworkers.idleTimeoutSeconds", "120")
        .set("spark.pyworkers.maxTasksPerWorker", "50"));
    assertThat(c.mode()).isEqualTo(WorkerMode.SIMPLE);
    assertThat(c.reuseWorkers()).isFalse();
    assertThat(c.idlePoolSize()).isEqualTo(3);
    assertThat(c.idleTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.maxTasksPerWorker()).isEqualTo(50);
  }

  @Test
  void aBadSettingNamesTheKeyTheValueAndTheRange() {
    assertThatThrownBy(() -> ExecutorWorkers.config(new SparkConf(false).set("spark.pyworkers.mode", "fork")))
        .hasMessage("spark.pyworkers.mode must be daemon or simple, got 'fork'");
    assertThatThrownBy(() -> ExecutorWorkers.config(new SparkConf(false).set("spark.pyworkers.reuseWorkers", "yes")))
        .hasMessageContaining("spark.pyworkers.reuseWorkers must be true or false, got 'yes'");
    assertThatThrownBy(() -> ExecutorWorkers.config(new SparkConf(false).set("spark.pyworkers.idlePoolSize", "0")))
        .hasMessage("spark.pyworkers.idlePoolSize must be a whole number from 1 to 100000, got '0'");
    assertThatThrownBy(() -> ExecutorWorkers.config(
        new SparkConf(false).set("spark.pyworkers.idleTimeoutSeconds", "1h")))
        .hasMessageContaining("idleTimeoutSeconds must be a whole number from 1 to 3600, got '1h'");
  }
}
