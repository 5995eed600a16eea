package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The record size limit ({@code --max-record-size}) and what is left of the heap: records and results over it fail
 * with a clear message, records up to it run, and even a JVM that does run out of memory prints one line, never a
 * stack trace. The runs use {@code bin/pyworkers}' heap, {@code -Xmx512m}, and 2 workers, whose default limit is
 * 16 MiB. Big inputs are written in chunks, never held in the test's memory.
 */
@ExtendWith(NoLeaks.class)
class RunRecordSizeTest {
  /** The heap of bin/pyworkers. */
  static final List<String> DEFAULT_HEAP = List.of("-Xmx512m");
  static final long MIB = 1L << 20;

  @TempDir Path dir;

  CliProcess run(List<String> jvm, Path udf, Path input, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("run", "--udf", udf + ":f", "--input", input.toString(),
        "--output", dir.resolve("out.jsonl").toString(), "--workers", "2", "--python", RunCommandTest.PYTHON));
    args.addAll(List.of(extra));
    return CliProcess.runWithJvmOptions(dir, jvm, args.toArray(String[]::new));
  }

  Path identity() throws IOException {
    return Files.writeString(dir.resolve("f.py"), "def f(r):\n    return r\n");
  }

  /** Writes {@code head}, then {@code n} times {@code fill}, then {@code tail}, in 1 MiB chunks. */
  Path write(String name, String head, char fill, long n, String tail) throws IOException {
    Path p = dir.resolve(name);
    byte[] chunk = new byte[1 << 20];
    Arrays.fill(chunk, (byte) fill);
    try (OutputStream out = Files.newOutputStream(p)) {
      out.write(head.getBytes(StandardCharsets.UTF_8));
      for (long left = n; left > 0; left -= chunk.length) out.write(chunk, 0, (int) Math.min(left, chunk.length));
      out.write(tail.getBytes(StandardCharsets.UTF_8));
    }
    return p;
  }

  /** The JSONL line {"s": "xxx..."} of exactly {@code bytes} bytes, between small records, as lines 2 to 4. */
  Path bigLine(long bytes, String ending) throws IOException {
    return write("in.jsonl", "{\"i\": 1}\n{\"i\": 2}" + ending + "{\"s\": \"", 'x', bytes - 9,
        "\"}" + ending + "{\"i\": 4}\n");
  }

  void assertNoStackTraceNorOutput(CliProcess p) throws IOException {
    assertThat(p.stderr()).doesNotContain("\tat ").doesNotContain("Exception in thread");
    try (var files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .noneMatch(n -> n.startsWith("out.jsonl") || n.startsWith(".out.jsonl"));
    }
  }

  @Test
  void lineOf200MiB_underTheDefaultHeap_exitsThree_withItsLineNumberAndSize() throws Exception {
    Path in = bigLine(200 * MIB, "\n");
    CliProcess p = run(DEFAULT_HEAP, identity(), in);
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(3);
    assertThat(p.stderr().strip().lines()).singleElement().asString()
        .startsWith("pyworkers run: input line 3 is 200.0 MiB (209715200 bytes), over the record size limit of"
            + " 16.0 MiB (16777216 bytes): raise --max-record-size")
        .endsWith("it starts with '{\"s\": \"" + "x".repeat(73) + "'...");
    assertNoStackTraceNorOutput(p);
  }

  @Test
  void recordOfExactlyTheLimit_runs_andOneByteMoreIsMalformed() throws Exception {
    Path in = bigLine(16 * MIB, "\r\n");
    CliProcess p = run(DEFAULT_HEAP, identity(), in);
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    try (BufferedReader r = Files.newBufferedReader(dir.resolve("out.jsonl"))) {
      assertThat(r.readLine()).isEqualTo("{\"i\": 1}");
      assertThat(r.readLine()).isEqualTo("{\"i\": 2}");
      String big = r.readLine();
      assertThat(big).hasSize((int) (16 * MIB)).startsWith("{\"s\": \"xxx").endsWith("xxx\"}");
      assertThat(big.chars().filter(c -> c == 'x').count()).isEqualTo(16 * MIB - 9);
      assertThat(r.readLine()).isEqualTo("{\"i\": 4}");
      assertThat(r.readLine()).isNull();
    }
    Files.delete(dir.resolve("out.jsonl"));

    p = run(DEFAULT_HEAP, identity(), bigLine(16 * MIB + 1, "\n"));
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(3);
    assertThat(p.stderr()).contains("pyworkers run: input line 3 is 16.0 MiB (16777217 bytes), over the record size"
        + " limit of 16.0 MiB (16777216 bytes)");
    assertNoStackTraceNorOutput(p);
  }

  @Test
  void csvRecordSpanningLines_isLimitedAsOneRecord() throws Exception {
    String field = "abcdefghi\n".repeat(200); // 2000 bytes over 200 lines, in quotes
    Path in = Files.writeString(dir.resolve("in.csv"), "name,text\nsmall,\"" + "a\nb".repeat(100) + "\"\n"
        + "big,\"" + field + "\"\nlast,x\n");
    CliProcess p = run(DEFAULT_HEAP, identity(), in, "--max-record-size", "1k");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(3);
    assertThat(p.stderr()).contains("pyworkers run: the CSV record at input line 103 is 2.0 KiB (2006 bytes), over"
        + " the record size limit of 1.0 KiB (1024 bytes)").contains("it starts with 'big,\"abcdefghi\\nabcdefghi\\n");
    assertNoStackTraceNorOutput(p);

    Path header = Files.writeString(dir.resolve("h.csv"), "\"" + field + "\"\n1\n");
    p = run(DEFAULT_HEAP, identity(), header, "--max-record-size", "1k");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(3);
    assertThat(p.stderr()).contains("pyworkers run: the CSV header at input line 1 is 2.0 KiB (2002 bytes)");
  }

  @Test
  void csvFieldLargerThanPythonsDefaultFieldLimit_butUnderTheRecordLimit_runs() throws Exception {
    Path in = write("in.csv", "name,text\nbig,\"", 'y', 4 * MIB, "\"\nsmall,z\n");
    Path udf = Files.writeString(dir.resolve("f.py"), "def f(r):\n    return [r['name'], len(r['text'])]\n");
    CliProcess p = run(DEFAULT_HEAP, udf, in);
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(Files.readAllLines(dir.resolve("out.jsonl"))).containsExactly("[\"big\", 4194304]",
        "[\"small\", 1]");
  }

  @Test
  void resultOverTheLimit_exitsOne_namingItsLine() throws Exception {
    Path udf = Files.writeString(dir.resolve("f.py"), "def f(r):\n    return 'x' * (200 << 20) if r == 'c' else r\n");
    Path in = Files.writeString(dir.resolve("in.txt"), "a\nb\nc\nd\n");
    CliProcess p = run(DEFAULT_HEAP, udf, in);
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).contains("pyworkers run: the result of f for input line 3 is 200.0 MiB (209715202 bytes)"
        + " of JSON, over the record size limit of 16.0 MiB (16777216 bytes); return less per record, or raise"
        + " --max-record-size. The line: 'c'");
    assertNoStackTraceNorOutput(p);

    Path blanks = Files.writeString(dir.resolve("in.jsonl"), "\"a\"\n\n  \n\"c\"\n\"d\"\n");
    p = run(DEFAULT_HEAP, udf, blanks, "--max-record-size", "1k");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).contains("the result of f for input line 4 is 200.0 MiB (209715202 bytes) of JSON, over"
        + " the record size limit of 1.0 KiB (1024 bytes)");
  }

  @Test
  void jvmOutOfMemory_isOneLineWithExitFive_andVerboseAddsTheStackTrace() throws Exception {
    Path in = bigLine(100 * MIB, "\n");
    CliProcess p = run(List.of("-Xmx48m"), identity(), in, "--max-record-size", "256m");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(5);
    assertThat(p.stderr().strip().lines()).singleElement().asString()
        .startsWith("pyworkers run: internal error: OutOfMemoryError: Java heap space; the JVM ran out of memory:"
            + " lower --workers, --partition-size or --max-record-size, or give it a larger heap");
    assertNoStackTraceNorOutput(p);

    p = run(List.of("-Xmx48m"), identity(), in, "--max-record-size", "256m", "--verbose");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(5);
    assertThat(p.stderr()).contains("pyworkers run: internal error: OutOfMemoryError").contains("\tat ");
  }
}
