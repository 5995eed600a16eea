package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code --stall-warning} and {@code --task-timeout} against a FUNC that sleeps or spins, through the real CLI. */
@ExtendWith(NoLeaks.class)
class RunStallTest {
  @TempDir Path dir;

  private Path input(int records) throws Exception {
    return Files.writeString(dir.resolve("in.jsonl"), IntStream.range(0, records)
        .mapToObj(i -> "{\"i\": " + i + "}").collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
  }

  @Test
  void stallWarning_onASlowRecord_warnsWithPidPartitionLinesStateAndTraceback_andTheRunSucceeds() throws Exception {
    Files.writeString(dir.resolve("sleepy.py"), "import time\n"
        + "def f(r):\n    if r['i'] == 5:\n        time.sleep(3)\n    return r['i']\n");
    Path in = input(10);
    Path out = dir.resolve("out.jsonl");
    CliProcess p = CliProcess.run(dir, "run", "--partition-size", "1m",
        "--udf", dir.resolve("sleepy.py") + ":f", "--input", in.toString(),
        "--output", out.toString(), "--workers", "1", "--stall-warning", "1s", "--python", RunCommandTest.PYTHON);
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(Files.readAllLines(out)).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    String err = p.stderr();
    assertThat(err).containsPattern("pyworkers run: WARN Python worker pid \\d+ has taken no input and sent no output"
        + " for \\d+\\.\\d s on partition 0 \\(input lines 1-10\\); process state: sleeping; FUNC's traceback \\(main"
        + " thread, most recent call first\\):\n  File \"[^\"]*sleepy\\.py\", line 4 in f\n  \\(\\d+ frames of"
        + " pyworkers itself below FUNC\\)\n");
    assertThat(err).as("stack dumps are not logged").doesNotContain("[pid ").doesNotContain("Current thread 0x");
  }

  @Test
  void stoppedWorker_isReportedStopped_thenKilledByTheTaskTimeout_exit6() throws Exception {
    Files.writeString(dir.resolve("halt.py"), "import os, signal\n"
        + "def f(r):\n    if r['i'] == 2:\n        os.kill(os.getpid(), signal.SIGSTOP)\n    return r\n");
    Path in = input(10);
    Path out = dir.resolve("out.jsonl");
    CliProcess p = CliProcess.start(dir, "run", "--partition-size", "1m",
        "--udf", dir.resolve("halt.py") + ":f", "--input", in.toString(),
        "--output", out.toString(), "--workers", "1", "--stall-warning", "500ms", "--task-timeout", "2s",
        "--python", RunCommandTest.PYTHON);
    int code = p.waitFor(Duration.ofSeconds(30));
    String err = p.stderr();
    assertThat(code).as(err).isEqualTo(6);
    assertThat(err).containsPattern("pyworkers run: WARN Python worker pid \\d+ has taken no input and sent no output"
        + " for \\d+\\.\\d s on partition 0 \\(input lines 1-10\\); process state: stopped; the traceback is"
        + " unavailable because the process is stopped");
    assertThat(err).containsPattern("pyworkers run: Python worker pid \\d+ made no progress on partition 0 \\(input"
        + " lines 1-10\\) for 2 s \\(--task-timeout\\) and was killed; no output was written; no traceback could be"
        + " had:\n.*its process state was stopped; the traceback is unavailable because the process is stopped");
    await("no process of the run is alive").atMost(Duration.ofSeconds(10))
        .until(() -> NoLeaks.markedCommandLines().isEmpty());
    assertThat(out).doesNotExist();
  }

  @Test
  void taskTimeout_onAnEndlessLoop_exits6_namingPidPartitionLinesAndTraceback_andLeavesNothing() throws Exception {
    Files.writeString(dir.resolve("spin.py"), "def f(r):\n    while r['i'] == 3:\n        pass\n    return r\n");
    Path in = input(10);
    Path out = dir.resolve("out.jsonl");
    CliProcess p = CliProcess.start(dir, "run", "--partition-size", "1m",
        "--udf", dir.resolve("spin.py") + ":f", "--input", in.toString(),
        "--output", out.toString(), "--workers", "1", "--task-timeout", "2s", "--python", RunCommandTest.PYTHON);
    int code = p.waitFor(Duration.ofSeconds(30));
    String err = p.stderr();
    assertThat(code).as(err).isEqualTo(6);
    assertThat(err).containsPattern("pyworkers run: Python worker pid \\d+ made no progress on partition 0 \\(input"
        + " lines 1-10\\) for 2 s \\(--task-timeout\\) and was killed; no output was written; FUNC's last traceback \\(main"
        + " thread, most recent call first\\):\n  File \"[^\"]*spin\\.py\", line [23] in f\n  \\(\\d+ frames of pyworkers"
        + " itself below FUNC\\)\n");
    assertThat(err).doesNotContain("Exception in thread").doesNotContain("\tat ");
    await("no process of the run is alive").atMost(Duration.ofSeconds(10))
        .until(() -> NoLeaks.markedCommandLines().isEmpty());
    try (var files = Files.list(dir)) {
      List<String> names = files.map(f -> f.getFileName().toString()).toList();
      assertThat(names).noneMatch(n -> n.startsWith("out.jsonl") || n.startsWith(".out.jsonl"));
    }
  }
}
