package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output far larger than the input, under bin/pyworkers's default heap (-Xmx512m): about 1 GB of output from 1.2 MB
 * of input (about 870 times more), with a slow head partition so that every other partition finishes first and must
 * wait for its turn. The output is checked whole: line count, size and a CRC-32 over the expected lines in order;
 * no spill or temporary file is left, and {@link NoLeaks} proves no process is. Then a FUNC error and a
 * Ctrl-C while spill files exist (under -Xmx64m, so the output budget is 8 MiB): neither leaves any file behind.
 */
@ExtendWith(NoLeaks.class)
class RunLargeOutputTest {
  static final String PYTHON = TestRun.python();
  static final int RECORDS = 170_000;
  static final int PAD = 6000;

  @TempDir Path dir;

  @Test
  void outputSixThousandTimesLargerPerRecord_underTheDefaultHeap_isWrittenWholeAndInOrder() throws Exception {
    Files.writeString(dir.resolve("pad.py"), "import time\nPAD = 'x' * " + PAD + "\n"
        + "def f(line):\n    i = int(line)\n    if i < 20:\n        time.sleep(0.1)  # a slow head partition\n"
        + "    return [i, PAD]\n");
    Path in = Files.writeString(dir.resolve("in.txt"), IntStream.range(0, RECORDS).mapToObj(Integer::toString)
        .collect(Collectors.joining("\n", "", "\n")));
    Path out = dir.resolve("out.jsonl");
    CliProcess p = CliProcess.startWithJvmOptions(dir, List.of("-Xmx512m"), "run", "--udf", dir.resolve("pad.py") + ":f",
        "--input", in.toString(), "--output", out.toString(), "--python", PYTHON, "--workers", "2",
        "--partition-size", "128k", "--no-progress");
    assertThat(p.waitFor(Duration.ofMinutes(5))).as(p.stderr()).isZero();
    assertThat(p.stderr()).contains("pyworkers run: " + RECORDS + " records");

    String pad = "x".repeat(PAD);
    CRC32 expected = new CRC32();
    long expectedSize = 0;
    for (int i = 0; i < RECORDS; i++) {
      byte[] line = ("[" + i + ", \"" + pad + "\"]\n").getBytes(StandardCharsets.UTF_8);
      expected.update(line);
      expectedSize += line.length;
    }
    CRC32 actual = new CRC32();
    long lines = 0;
    try (InputStream s = new BufferedInputStream(Files.newInputStream(out), 1 << 20)) {
      byte[] buf = new byte[1 << 20];
      for (int n; (n = s.read(buf)) > 0; ) {
        actual.update(buf, 0, n);
        for (int i = 0; i < n; i++) if (buf[i] == '\n') lines++;
      }
    }
    assertThat(Files.size(in)).isLessThan(1_300_000);
    assertThat(Files.size(out)).isEqualTo(expectedSize).isGreaterThan(1_000_000_000L);
    assertThat(lines).isEqualTo(RECORDS);
    assertThat(actual.getValue()).as("CRC-32 of the output against the expected lines in order")
        .isEqualTo(expected.getValue());
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.contains(".pyworkers-"));
    }
  }

  /** A FUNC writing 6000 bytes a record whose first partition is slow, raising on {@code failAt} (-1: never). */
  Path slowHeadUdf(double headSleep, int failAt) throws Exception {
    return Files.writeString(dir.resolve("pad.py"), "PAD = 'x' * " + PAD + "\n"
        + "import time\ndef f(line):\n    i = int(line)\n    if i < 20:\n        time.sleep(" + headSleep + ")\n"
        + "    if i == " + failAt + ":\n        raise ValueError('no good: %d' % i)\n    return [i, PAD]\n");
  }

  CliProcess startSmallHeap(Path udf, int records) throws Exception {
    Path in = Files.writeString(dir.resolve("in.txt"), IntStream.range(0, records).mapToObj(Integer::toString)
        .collect(Collectors.joining("\n", "", "\n")));
    return CliProcess.startWithJvmOptions(dir, List.of("-Xmx64m"), "run", "--udf", udf + ":f", "--input",
        in.toString(), "--output", dir.resolve("out.jsonl").toString(), "--python", PYTHON, "--workers", "2",
        "--partition-size", "16k", "--no-progress");
  }

  List<String> leftovers() throws Exception {
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString())
          .filter(n -> n.contains(".pyworkers-") || n.equals("out.jsonl")).toList();
    }
  }

  @Test
  void udfErrorWhileOtherPartitionsAreSpilled_exitsOne_andLeavesNoFile() throws Exception {
    // partitions of 16 KiB hold about 2,600 records; record 6000 is in the 3rd or 4th, which fails while the
    // slow head still runs and the 2nd (16 MB of output, over the 8 MiB budget) most likely waits in a spill file
    CliProcess p = startSmallHeap(slowHeadUdf(0.1, 6000), 40_000);
    assertThat(p.waitFor(Duration.ofMinutes(2))).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).contains("f raised ValueError on input line 6001: no good: 6000");
    assertThat(leftovers()).isEmpty();
  }

  @Test
  void ctrlCWhileOtherPartitionsAreSpilled_exits130_andLeavesNoFile() throws Exception {
    CliProcess p = startSmallHeap(slowHeadUdf(1.0, -1), 40_000);
    await("a spill file").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
        .until(() -> leftovers().stream().anyMatch(n -> n.contains(".spill-")));
    p.signal("INT");
    assertThat(p.waitFor(Duration.ofSeconds(30))).as(p.stderr()).isEqualTo(130);
    assertThat(leftovers()).isEmpty();
  }
}
