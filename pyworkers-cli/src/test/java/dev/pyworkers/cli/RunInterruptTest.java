package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ctrl-C and SIGTERM in the middle of a run: the command exits with 130 within 2 s of the signal, no Python process
 * it started is alive 2 s after the signal, and neither OUT nor its temporary file exists. Ctrl-C is simulated as a
 * terminal does it: SIGINT to the whole foreground process group (the JVM runs in its own session through setsid,
 * so the group is the JVM, the Python daemon and its workers); SIGTERM goes to the JVM alone.
 */
@ExtendWith(NoLeaks.class)
class RunInterruptTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"ctrl-c", "sigint-to-jvm", "sigterm-to-jvm"})
  void signalDuringRun_stopsWithinTwoSeconds_leavesNoProcessAndNoOutput(String how) throws Exception {
    Path started = dir.resolve("started");
    Files.writeString(dir.resolve("slow.py"), "import os, time\n"
        + "def f(r):\n    if not os.path.exists(" + pyString(started) + "):\n"
        + "        open(" + pyString(started) + ", 'w').close()\n    time.sleep(0.005)\n    return r\n");
    Path in = Files.writeString(dir.resolve("in.jsonl"), IntStream.range(0, 20_000)
        .mapToObj(i -> "{\"i\": " + i + "}").collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
    Path out = dir.resolve("out.jsonl");
    CliProcess p = CliProcess.startInOwnSession(dir, "run", "--udf", dir.resolve("slow.py") + ":f", "--input", in.toString(), "--output", out.toString(),
        "--workers", "2", "--python", RunCommandTest.PYTHON);
    await("the first record has started").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
        .until(() -> Files.exists(started) || !p.isAlive());
    assertThat(p.isAlive()).as("pyworkers ended before the signal: %s", p.stderr()).isTrue();
    assertThat(NoLeaks.markedCommandLines("python")).as("the workers run").isNotEmpty();

    long signalled = System.nanoTime();
    switch (how) {
      case "ctrl-c" -> p.signalGroup("INT");
      case "sigint-to-jvm" -> p.signal("INT");
      default -> p.signal("TERM");
    }
    int code = p.waitFor(Duration.ofSeconds(10));
    long exitMillis = (System.nanoTime() - signalled) / 1_000_000;
    assertThat(exitMillis).as("milliseconds from the signal to the exit").isLessThan(2000);
    assertThat(code).as(p.stderr()).isEqualTo(130);
    assertThat(p.stderr()).contains("pyworkers run: interrupted; the workers were stopped and no output was written");

    long left = Math.max(1, 2000 - (System.nanoTime() - signalled) / 1_000_000);
    await("no process of the run is alive 2 s after the signal").atMost(Duration.ofMillis(left))
        .pollInterval(Duration.ofMillis(10)).until(() -> NoLeaks.markedCommandLines().isEmpty());
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .noneMatch(n -> n.startsWith("out.jsonl") || n.startsWith(".out.jsonl"));
    }
  }

  static String pyString(Path p) {
    return "'" + p.toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
