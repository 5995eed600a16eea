package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small inputs still use every worker: the automatic partition size cuts them into several partitions per worker,
 * down to one record each, and --partition-size is honoured without --batch-size. FUNC returns its worker's pid, so
 * the output itself proves how many workers ran; the summary line says "N workers, M partitions".
 */
@ExtendWith(NoLeaks.class)
class RunPartitioningTest {
  static final String PYTHON = TestRun.python();
  static final Pattern SUMMARY = Pattern.compile("(\\d+) records in .*?, (\\d+) workers?, (\\d+) partitions?;");

  @TempDir Path dir;

  CliProcess run(int records, double sleepSeconds, String... extra) throws Exception {
    Files.writeString(dir.resolve("pid.py"), "import os, time\n"
        + "def f(r):\n    time.sleep(" + sleepSeconds + ")\n    return [r['i'], os.getpid()]\n");
    Path in = Files.writeString(dir.resolve("in.jsonl"), IntStream.range(0, records)
        .mapToObj(i -> "{\"i\": " + i + "}").collect(Collectors.joining("\n", "", "\n")));
    List<String> args = new ArrayList<>(List.of("run", "--udf", dir.resolve("pid.py") + ":f", "--input",
        in.toString(), "--output", dir.resolve("out.jsonl").toString(), "--python", PYTHON, "--no-progress"));
    args.addAll(List.of(extra));
    CliProcess p = CliProcess.run(dir, args.toArray(String[]::new));
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    return p;
  }

  /** The pids in the output, after checking it holds every record in order. */
  Set<String> pids(int records) throws IOException {
    List<String> lines = Files.readAllLines(dir.resolve("out.jsonl"), StandardCharsets.UTF_8);
    assertThat(lines).hasSize(records);
    for (int i = 0; i < records; i++) assertThat(lines.get(i)).startsWith("[" + i + ", ");
    return lines.stream().map(l -> l.substring(l.indexOf(", ") + 2, l.length() - 1)).collect(Collectors.toSet());
  }

  static int[] summary(CliProcess p) {
    Matcher m = SUMMARY.matcher(p.stderr());
    assertThat(m.find()).as(p.stderr()).isTrue();
    return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
  }

  @Test
  void thousandRecordsOf11Kb_withFourWorkers_runOnFourWorkers() throws Exception {
    CliProcess p = run(1000, 0.002, "--workers", "4");
    int[] s = summary(p);
    assertThat(s[0]).isEqualTo(1000);
    assertThat(s[1]).as(p.stderr()).isEqualTo(4);
    assertThat(s[2]).as("at least a few partitions per worker: " + p.stderr()).isGreaterThanOrEqualTo(8);
    assertThat(pids(1000)).hasSize(4);
  }

  @Test
  void asManyRecordsAsWorkers_getOnePartitionEach() throws Exception {
    CliProcess p = run(4, 0.5, "--workers", "4");
    assertThat(p.stderr()).contains("4 records").contains(", 4 workers, 4 partitions;");
    assertThat(pids(4)).hasSize(4);
  }

  @Test
  void partitionSize2k_withoutBatchSize_isHonoured() throws Exception {
    CliProcess p = run(1000, 0, "--workers", "2", "--partition-size", "2k");
    long inputBytes = Files.size(dir.resolve("in.jsonl"));
    // each partition ends with the record that reaches 2048 bytes: 11 bytes a record at most past it
    int expected = (int) (inputBytes / (2048 + 11));
    assertThat(summary(p)[2]).as(p.stderr()).isBetween(expected, expected + 1);
    pids(1000);
  }
}
