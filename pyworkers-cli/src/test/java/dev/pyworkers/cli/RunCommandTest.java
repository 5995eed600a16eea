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
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pyworkers run} end to end: the real command in its own JVM with real Python workers, one test per format
 * and per outcome. After each test, {@link NoLeaks} proves no process the test started is alive; the failure
 * tests also prove that neither OUT nor its temporary file was left behind.
 */
@ExtendWith(NoLeaks.class)
class RunCommandTest {
  static final String PYTHON = TestRun.python();

  @TempDir Path dir;

  CliProcess run(String udf, Path input, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("run", "--udf", udf, "--input", input.toString(),
        "--output", dir.resolve("out.jsonl").toString(), "--python", PYTHON));
    args.addAll(List.of(extra));
    return CliProcess.run(dir, args.toArray(String[]::new));
  }

  Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
  }

  List<String> output() throws IOException {
    return Files.readAllLines(dir.resolve("out.jsonl"), StandardCharsets.UTF_8);
  }

  /** Only the inputs, UDFs and captured streams are left in the folder: no OUT, no temporary output. */
  void assertNoOutputLeft() throws IOException {
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith("out.jsonl") || n.startsWith(".out.jsonl"));
    }
  }

  @Test
  void jsonl_formatFromExtension_writesOneJsonLinePerRecord_andASummary() throws Exception {
    write("f.py", "def f(r):\n    return {'x': r['x'] + 1, 'n': len(r['s'])}\n");
    Path in = write("in.jsonl", "{\"x\": 1, \"s\": \"ab\"}\n\n{\"x\": -5, \"s\": \"\u00e9t\u00e9\"}\n{\"x\": 7, \"s\": \"\"}");
    CliProcess p = run(dir.resolve("f.py") + ":f", in, "--workers", "2");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(output()).containsExactly("{\"x\": 2, \"n\": 2}", "{\"x\": -4, \"n\": 3}", "{\"x\": 8, \"n\": 0}");
    // one partition per record: a small input is cut so that every worker can get work
    assertThat(p.stderr().strip()).matches("(?s)pyworkers run: 3 records in [0-9.]+ s \\([0-9]+ records/s\\),"
        + " (1 worker|2 workers), 3 partitions; worker boot [0-9.]+ ms, init [0-9.]+ ms");
    assertThat(p.stdout()).isEmpty();
  }

  @Test
  void verbose_printsALineForEachDaemonWorkerAndPartition_andTotals_fromTheRegistryEvents() throws Exception {
    write("f.py", "def f(r):\n    return r * 2\n");
    Path in = write("in.jsonl", "1\n2\n3\n4\n5\n6\n");
    CliProcess p = run(dir.resolve("f.py") + ":f", in, "--workers", "2", "--verbose");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(output()).containsExactly("2", "4", "6", "8", "10", "12");
    List<String> lines = p.stderr().lines().filter(l -> l.startsWith("pyworkers run: ")).toList();
    assertThat(lines).as(p.stderr()).filteredOn(l -> l.matches("pyworkers run: Python daemon pid \\d+ started in"
        + " [0-9.]+ ms \\(Python 3\\.\\d+\\)")).hasSize(1);
    assertThat(lines).filteredOn(l -> l.matches("pyworkers run: worker pid \\d+ forked by daemon pid \\d+ in"
        + " [0-9.]+ ms for (the FUNC check|partition \\d+)")).hasSizeBetween(1, 2);
    assertThat(lines).filteredOn(l -> l.startsWith("pyworkers run: FUNC check (task 1) done on worker pid ")).hasSize(1);
    // six records, one partition each: a line for each, with the batches and bytes each way
    assertThat(lines).filteredOn(l -> l.matches("pyworkers run: partition [0-5] \\(task [2-7]\\) done on worker pid"
        + " \\d+( \\(reused\\))?: 1 batches in, 1 out, \\d+ B to Python, \\d+ B back; FUNC ready in \\d+ ms,"
        + " task [0-9.]+ ms")).hasSize(6);
    assertThat(lines).filteredOn(l -> l.matches("pyworkers run: worker pid \\d+ ended \\(closed: the worker"
        + " registry is closed\\) after \\d+ tasks? in [0-9.]+ s")).hasSizeBetween(1, 2);
    assertThat(lines).filteredOn(l -> l.matches("pyworkers run: Python daemon pid \\d+ stopped \\(closed\\) after"
        + " [0-9.]+ s")).hasSize(1);
    assertThat(lines.get(lines.size() - 1)).matches("pyworkers run: events: 1 daemon start, [12] workers? forked, 0"
        + " spawned, [12] ended; 7 tasks finished \\([5-6] on a reused worker\\), 0 failed; [0-9.]+ KiB to Python,"
        + " [0-9.]+ (B|KiB) back");
  }

  @Test
  void verbose_namesTheFailedPartition() throws Exception {
    write("f.py", "def f(r):\n    if r == 3:\n        raise ValueError('three')\n    return r\n");
    Path in = write("in.jsonl", "1\n2\n3\n4\n");
    CliProcess p = run(dir.resolve("f.py") + ":f", in, "--workers", "1", "--verbose");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).containsPattern("pyworkers run: partition 2 \\(task 4\\) failed on worker pid \\d+ after"
        + " 1 batches in and 0 out, [0-9.]+ ms: PythonException: ");
    assertThat(p.stderr()).containsPattern("pyworkers run: events: 1 daemon start, 1 worker forked, 0 spawned, 1"
        + " ended; 3 tasks finished \\(2 on a reused worker\\), [1-2] failed;");
    assertNoOutputLeft();
  }

  @Test
  void csv_givesADictPerRecord_withQuotedFieldsSpanningLines() throws Exception {
    write("c.py", "def c(row):\n    return [row['name'], row['note'], sorted(row)]\n");
    Path in = write("in.csv", "\uFEFFname,note\r\nann,\"multi\nline, with comma\"\r\n\r\nbob,\"say \"\"hi\"\"\"\r\n");
    CliProcess p = run(dir.resolve("c.py") + ":c", in);
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(output()).containsExactly(
        "[\"ann\", \"multi\\nline, with comma\", [\"name\", \"note\"]]",
        "[\"bob\", \"say \\\"hi\\\"\", [\"name\", \"note\"]]");
  }

  @Test
  void text_givesTheLineWithoutItsLineEnding() throws Exception {
    write("t.py", "def t(line):\n    return {'line': line, 'len': len(line)}\n");
    Path in = write("in.log", "first\r\n\nthird  \nlast without newline");
    CliProcess p = run(dir.resolve("t.py") + ":t", in, "--format", "text");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(output()).containsExactly("{\"line\": \"first\", \"len\": 5}", "{\"line\": \"\", \"len\": 0}",
        "{\"line\": \"third  \", \"len\": 7}", "{\"line\": \"last without newline\", \"len\": 20}");
  }

  @Test
  void fourWorkers_manyPartitionsFinishingOutOfOrder_keepInputOrder() throws Exception {
    write("slow.py", "import random, time\n"
        + "def f(r):\n    if r['i'] % 500 == 0:\n        time.sleep(random.random() * 0.05)\n"
        + "    return [r['i'], r['i'] * 3]\n");
    int n = 20_000;
    Path in = write("in.jsonl", IntStream.range(0, n).mapToObj(i -> "{\"i\": " + i + "}")
        .collect(Collectors.joining("\n", "", "\n")));
    CliProcess p = run(dir.resolve("slow.py") + ":f", in, "--workers", "4", "--partition-size", "16k",
        "--batch-size", "100");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    List<String> expected = IntStream.range(0, n).mapToObj(i -> "[" + i + ", " + (i * 3) + "]").toList();
    assertThat(output()).isEqualTo(expected);
    assertThat(p.stderr()).contains(n + " records").contains(", 4 workers,");
  }

  @Test
  void emptyInput_writesAnEmptyOutput() throws Exception {
    write("f.py", "def f(r):\n    return r\n");
    Path in = write("in.jsonl", "");
    CliProcess p = run(dir.resolve("f.py") + ":f", in);
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(Files.size(dir.resolve("out.jsonl"))).isZero();
    assertThat(p.stderr()).contains("pyworkers run: 0 records");
  }

  @Test
  void udfException_exitsOne_withTheTracebackAndTheInputLine() throws Exception {
    write("boom.py", "def helper(x):\n    raise ValueError('no good: %d' % x)\n\n"
        + "def f(r):\n    if r['i'] == 1234:\n        helper(r['i'])\n    return r\n");
    Path in = write("in.jsonl", IntStream.range(0, 5000).mapToObj(i -> "{\"i\": " + i + "}")
        .collect(Collectors.joining("\n", "", "\n")));
    CliProcess p = run(dir.resolve("boom.py") + ":f", in, "--workers", "2", "--partition-size", "8k");
    assertThat(p.exitCode()).isEqualTo(1);
    assertThat(p.stderr())
        .contains("pyworkers run: f raised ValueError on input line 1235: no good: 1234")
        .contains("The line: '{\"i\": 1234}'")
        .contains("Traceback (most recent call last):")
        .contains("boom.py\", line 6, in f")
        .contains("boom.py\", line 2, in helper")
        .doesNotContain("jobs.py");
    assertNoOutputLeft();
  }

  @Test
  void workerCrash_exitsFour_withTheRunnersCrashMessage() throws Exception {
    write("crash.py", "import os\ndef f(r):\n    if r['i'] == 300:\n        os._exit(7)\n    return r\n");
    Path in = write("in.jsonl", IntStream.range(0, 1000).mapToObj(i -> "{\"i\": " + i + "}")
        .collect(Collectors.joining("\n", "", "\n")));
    CliProcess p = run(dir.resolve("crash.py") + ":f", in, "--workers", "2", "--partition-size", "1m");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(4);
    assertThat(p.stderr())
        .contains("pyworkers run: a Python worker crashed while running partition 0, which starts at input line 1:\n")
        .contains("Python worker exited unexpectedly (crashed): pid ")
        .contains("exited with code 7");
    assertNoOutputLeft();
  }

  @Test
  void malformedLine_exitsThree_withItsLineNumberAndAnExcerpt() throws Exception {
    write("f.py", "def f(r):\n    return r\n");
    String bad = "{\"i\": 2, oops this is not json" + "x".repeat(200);
    Path in = write("in.jsonl", "{\"i\": 0}\n{\"i\": 1}\n" + bad + "\n{\"i\": 3}\n");
    CliProcess p = run(dir.resolve("f.py") + ":f", in);
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(3);
    assertThat(p.stderr()).contains("pyworkers run: input line 3 is not valid JSON")
        .contains("'" + bad.substring(0, 80) + "'...");
    assertNoOutputLeft();
  }
}
