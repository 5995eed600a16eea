package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * JSON is strict both ways (RFC 8259 has no NaN or Infinity): a NaN or infinite result is a FUNC error (exit 1)
 * naming the line and where the value is, a NaN or Infinity literal in an input line is a malformed line (exit 3),
 * and {@code --allow-nan} turns both back on. Every failing run leaves neither OUT nor its temporary file, and
 * {@link NoLeaks} proves no process is left.
 */
@ExtendWith(NoLeaks.class)
class RunJsonStrictTest {
  @TempDir Path dir;

  CliProcess run(Path udf, Path input, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("run", "--udf", udf + ":f", "--input", input.toString(),
        "--output", dir.resolve("out.jsonl").toString(), "--python", RunCommandTest.PYTHON));
    args.addAll(List.of(extra));
    return CliProcess.run(dir, args.toArray(String[]::new));
  }

  Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
  }

  void assertNoOutputLeft() throws IOException {
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith("out.jsonl") || n.startsWith(".out.jsonl"));
    }
  }

  /** Input lines {"i": 0} ... {"i": 2999}; FUNC returns {@code value} for record 1234, else the record. */
  Path udfReturningOnRecord1234(String value) throws IOException {
    return write("f.py", "def f(r):\n    return (" + value + ") if r['i'] == 1234 else r\n");
  }

  Path records(String name, int n) throws IOException {
    return write(name, IntStream.range(0, n).mapToObj(i -> "{\"i\": " + i + "}")
        .collect(Collectors.joining("\n", "", "\n")));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "float('nan')|the float nan as the result",
      "float('inf')|the float inf as the result",
      "{'a': [1, {'b': float('-inf')}]}|the float -inf at result['a'][1]['b']",
      "[0.5, float('nan')]|the float nan at result[1]",
      "{float('nan'): 1}|the float nan as a key of result",
  })
  void nanOrInfiniteResult_exitsOne_namingTheLineAndWhereTheValueIs(String value, String where) throws Exception {
    CliProcess p = run(udfReturningOnRecord1234(value), records("in.jsonl", 3000), "--workers", "2",
        "--partition-size", "8k");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr())
        .contains("pyworkers run: the result of f for input line 1235 is not JSON: it holds " + where + ";")
        .contains("return None for a missing number, or pass --allow-nan")
        .contains("The line: '{\"i\": 1234}'");
    assertNoOutputLeft();
  }

  @Test
  void nanResult_ofCsvAndTextRecords_exitsOne() throws Exception {
    Path udf = write("g.py", "def f(r):\n    return {'v': float('nan')} if 'x' in str(r) else 1\n");
    Path csv = write("in.csv", "a,b\n1,2\n\"multi\nline\",x\n");
    CliProcess p = run(udf, csv);
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).contains("the result of f for input line 3 is not JSON: it holds the float nan at"
        + " result['v']");
    Path text = write("in.txt", "a\nb\nxyz\n");
    p = run(udf, text);
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).contains("the result of f for input line 3 is not JSON: it holds the float nan at"
        + " result['v']").contains("The line: 'xyz'");
    assertNoOutputLeft();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"i\": NaN}|NaN",
      "{\"i\": 1, \"deep\": [[{\"x\": Infinity}]]}|Infinity",
      "[-Infinity]|-Infinity",
      "NaN|NaN",
  })
  void nanOrInfinityLiteralInAnInputLine_exitsThree_namingTheLineAndTheLiteral(String bad, String literal)
      throws Exception {
    Path udf = write("f.py", "def f(r):\n    return r\n");
    Path in = write("in.jsonl", "{\"i\": 0}\n\n{\"i\": 1}\n" + bad + "\n{\"i\": 3}\n");
    CliProcess p = run(udf, in);
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(3);
    assertThat(p.stderr())
        .contains("pyworkers run: input line 4 is not valid JSON (" + literal + " is not JSON: RFC 8259 has no NaN"
            + " or Infinity; fix the input, or pass --allow-nan")
        .contains("'" + bad + "'");
    assertNoOutputLeft();
  }

  @Test
  void allowNan_acceptsTheLiteralsInInput_andWritesThemInResults() throws Exception {
    Path udf = write("f.py", "def f(r):\n    return [r, float('nan'), float('inf'), -float('inf')]\n");
    Path in = write("in.jsonl", "{\"a\": NaN}\n[Infinity, -Infinity]\n1.5\n");
    CliProcess p = run(udf, in, "--allow-nan");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(Files.readAllLines(dir.resolve("out.jsonl"))).containsExactly(
        "[{\"a\": NaN}, NaN, Infinity, -Infinity]",
        "[[Infinity, -Infinity], NaN, Infinity, -Infinity]",
        "[1.5, NaN, Infinity, -Infinity]");
  }
}
