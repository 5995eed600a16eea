package dev.pyworkers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.cli.run.RunJob;
import dev.pyworkers.cli.testing.CliProcess;
import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestRun;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code pyworkers run --pandas} end to end: the real command in its own JVM with real Python workers (daemon and
 * simple mode), for every input format (JSONL, CSV, Arrow IPC) and output format (JSON lines, Arrow IPC). Every
 * result is compared with the same FUNC run by plain pandas in one process over the whole file
 * ({@code pandas_oracle.py}), never with hard-coded rows; small partitions and batches make several workers share
 * the input, so input order is checked too. After each test, {@link NoLeaks} proves no process is left; the failure
 * tests prove that neither OUT nor its temporary file was left.
 */
@ExtendWith(NoLeaks.class)
class RunPandasTest {
  static final String PYTHON = TestRun.python();

  @TempDir Path dir;
  Path udfs;
  Path oracle;

  @BeforeEach
  void copyScripts() throws IOException {
    udfs = resource("pandas_udfs.py");
    oracle = resource("pandas_oracle.py");
  }

  Path resource(String name) throws IOException {
    try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream(name), name)) {
      Path p = dir.resolve(name);
      Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
      return p;
    }
  }

  CliProcess run(String mode, String func, Path in, Path out, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("run", "--pandas", "--udf", udfs + ":" + func, "--input",
        in.toString(), "--output", out.toString(), "--python", PYTHON));
    args.addAll(List.of(extra));
    return CliProcess.runWithJvmOptions(dir, List.of("-D" + RunJob.WORKER_MODE_PROPERTY + "=" + mode),
        args.toArray(String[]::new));
  }

  CliProcess run(String func, Path in, Path out, String... extra) throws Exception {
    return run("DAEMON", func, in, out, extra);
  }

  /** Runs a Python script with the test's Python; returns its stdout, failing on a non-zero exit. */
  String python(int expectedExit, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(PYTHON));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "python-", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = Files.readString(log);
    assertThat(p.exitValue()).as(output).isEqualTo(expectedExit);
    return output;
  }

  /** FUNC's result by the oracle, as JSON lines. */
  List<String> expectedLines(String func, Path in) throws Exception {
    Path expected = dir.resolve("expected-" + func + ".jsonl");
    python(0, oracle.toString(), udfs + ":" + func, in.toString(), expected.toString());
    return Files.readAllLines(expected, StandardCharsets.UTF_8);
  }

  /** Checks an Arrow OUT against the oracle; returns its "same: N rows in B batches" line. */
  String checkArrow(String func, Path in, Path out, String... schema) throws Exception {
    List<String> args = new ArrayList<>(List.of(oracle.toString(), udfs + ":" + func, in.toString(), "--check-arrow",
        out.toString()));
    args.addAll(List.of(schema));
    return python(0, args.toArray(String[]::new)).strip();
  }

  /** {"x": i, "s": ...} for i in [from, to), with a null s every 7th record and a blank line now and then. */
  Path jsonl(String name, int from, int to) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < to; i++) {
      String s = i % 7 == 0 ? "null" : "\"r" + i + (i % 3 == 0 ? " \u00e9\"" : "\"");
      sb.append("{\"x\": ").append(i).append(", \"s\": ").append(s).append("}\n");
      if (i % 50 == 0) sb.append('\n');
    }
    return Files.writeString(dir.resolve(name), sb.toString(), StandardCharsets.UTF_8);
  }

  /** An Arrow IPC file of {@code rows} rows {x: int64, s: string} in batches of {@code batch} rows. */
  Path arrowFile(String name, int rows, int batch) throws Exception {
    Path p = dir.resolve(name);
    python(0, "-c", "import sys, pyarrow as pa\n"
        + "rows, batch = int(sys.argv[2]), int(sys.argv[3])\n"
        + "t = pa.table({'x': pa.array(range(rows), pa.int64()),"
        + " 's': pa.array([None if i % 7 == 0 else 'r%d' % i for i in range(rows)], pa.string())})\n"
        + "with pa.ipc.new_file(sys.argv[1], t.schema) as w:\n"
        + "    for b in t.to_batches(max_chunksize=batch): w.write_batch(b)\n", p.toString(), Integer.toString(rows),
        Integer.toString(batch));
    return p;
  }

  void assertNoOutputLeft(String name) throws IOException {
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith(name) || n.startsWith("." + name));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"DAEMON", "SIMPLE"})
  void jsonl_toJsonl_manyPartitionsOnTwoWorkers_isThePlainPandasResult_inInputOrder(String mode) throws Exception {
    Path in = jsonl("in.jsonl", 0, 3000);
    Path out = dir.resolve("out.jsonl");
    CliProcess p = run(mode, "plus_one", in, out, "--workers", "2", "--partition-size", "8k", "--batch-size", "100");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(Files.readAllLines(out, StandardCharsets.UTF_8)).isEqualTo(expectedLines("plus_one", in));
    // the summary counts input records: 3000 records, blank lines aside
    assertThat(p.stderr()).contains("pyworkers run: 3000 records in ");
  }

  @Test
  void theBundledExample_reviewsStrongOpinions_isThePlainPandasResult() throws Exception {
    Path examples = Path.of("..", "examples").toAbsolutePath().normalize();
    String udf = examples.resolve("reviews_pandas.py") + ":strong_opinions";
    Path in = examples.resolve("reviews.jsonl");
    Path out = dir.resolve("strong.jsonl");
    CliProcess p = CliProcess.run(dir, "run", "--pandas", "--udf", udf, "--input", in.toString(), "--output",
        out.toString(), "--python", PYTHON);
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    Path expected = dir.resolve("expected.jsonl");
    python(0, oracle.toString(), udf, in.toString(), expected.toString());
    assertThat(Files.readAllLines(out, StandardCharsets.UTF_8)).hasSizeGreaterThan(100)
        .isEqualTo(Files.readAllLines(expected, StandardCharsets.UTF_8));
  }

  @Test
  void csv_withAQuotedLineBreak_toJsonl_fewerRows() throws Exception {
    StringBuilder sb = new StringBuilder("x,s\n");
    for (int i = 0; i < 500; i++) sb.append(i).append(',').append(i == 4 ? "\"two\nlines\"" : "\"r" + i + "\"").append('\n');
    Path in = Files.writeString(dir.resolve("in.csv"), sb.toString(), StandardCharsets.UTF_8);
    Path out = dir.resolve("out.jsonl");
    CliProcess p = run("even_only", in, out, "--workers", "2", "--partition-size", "1k");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(250).isEqualTo(expectedLines("even_only", in));
    assertThat(lines.get(2)).contains("two\\nlines");
  }

  @Test
  void arrow_toJsonl_moreRows_oneDataFramePerBatchSlice() throws Exception {
    Path in = arrowFile("in.arrow", 2000, 300);
    Path out = dir.resolve("out.jsonl");
    CliProcess p = run("twice", in, out, "--workers", "2", "--partition-size", "1", "--batch-size", "128");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(Files.readAllLines(out, StandardCharsets.UTF_8)).hasSize(4000).isEqualTo(expectedLines("twice", in));
    assertThat(p.stderr()).contains("pyworkers run: 2000 records in ").contains("7 partitions");
  }

  @ParameterizedTest
  @ValueSource(strings = {"DAEMON", "SIMPLE"})
  void jsonl_toArrow_emptyResultsIncluded_isAnIpcFileOfThePlainPandasResult(String mode) throws Exception {
    Path in = jsonl("in.jsonl", 0, 1000);
    Path out = dir.resolve("out.arrow");
    // batches of 100: the first holds the rows up to 10, every other batch's result is empty
    CliProcess p = run(mode, "nothing_over_ten", in, out, "--workers", "2", "--partition-size", "4k",
        "--batch-size", "100");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(checkArrow("nothing_over_ten", in, out)).isEqualTo("same: 11 rows in 1 batches");
  }

  @Test
  void arrow_toFeather_manyBatches_keepsEveryValue() throws Exception {
    Path in = arrowFile("in.arrow", 5000, 700);
    Path out = dir.resolve("out.feather");
    CliProcess p = run("plus_one", in, out, "--workers", "2", "--partition-size", "1");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(checkArrow("plus_one", in, out)).isEqualTo("same: 5000 rows in 8 batches");
  }

  @Test
  void schemaDrift_failsNamingThePartitionItsLinesTheColumnAndBothTypes_andLeavesNoOutput() throws Exception {
    Path in = jsonl("in.jsonl", 0, 400);
    CliProcess p = run("as_float_when_large", in, dir.resolve("out.arrow"), "--workers", "2", "--partition-size",
        "1k", "--batch-size", "100");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).contains("column 'x' is FloatingPoint(DOUBLE) instead of Int(64, true)")
        .containsPattern("the result for partition \\d+ \\(input lines \\d+-\\d+\\)")
        .contains("fixed by the first result with rows (partition 0, input lines 1-")
        .contains("--schema x:int64");
    assertNoOutputLeft("out.arrow");
  }

  @Test
  void schema_castsEveryResult_soDriftIsNoError() throws Exception {
    Path in = jsonl("in.jsonl", 0, 400);
    Path out = dir.resolve("out.arrow");
    CliProcess p = run("as_float_when_large", in, out, "--workers", "2", "--partition-size", "1k",
        "--batch-size", "100", "--schema", "x:float64");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(checkArrow("as_float_when_large", in, out, "x:float64")).startsWith("same: 400 rows in ");
  }

  @Test
  void schema_aLossyCastFails_namingThePartitionAndItsLines() throws Exception {
    Path in = jsonl("in.jsonl", 0, 50);
    CliProcess p = run("values", in, dir.resolve("out.arrow"), "--schema",
        "i:int8,f:int64,nan:float64,none:null,t:timestamp[ns],tz:string,nat:timestamp[ns],list:string");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).containsPattern("the result of values for partition \\d+ \\(input lines? [0-9-]+\\)"
        + " cannot be written: pyarrow cannot convert it to --schema");
    assertNoOutputLeft("out.arrow");
  }

  @Test
  void jsonValues_nanNoneNatAsNull_timestampsIso_nestedKept_asTheOracleWritesThem() throws Exception {
    Path in = jsonl("in.jsonl", 1, 40);
    Path out = dir.resolve("out.jsonl");
    CliProcess p = run("values", in, out, "--workers", "2", "--partition-size", "200");
    assertThat(p.exitCode()).as(p.stderr()).isZero();
    List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
    assertThat(lines).isEqualTo(expectedLines("values", in));
    assertThat(lines.get(2)).isEqualTo("{\"i\":3,\"f\":1.5,\"nan\":null,\"none\":null,"
        + "\"t\":\"1970-01-01T00:00:03.000000000\",\"tz\":\"1970-01-01T00:00:03.000000000Z\",\"nat\":null,"
        + "\"list\":[3,null]}");
  }

  @Test
  void funcRaises_exit1_withThePartitionsInputLinesAndFuncsTraceback() throws Exception {
    Path in = jsonl("in.jsonl", 0, 100);
    CliProcess p = run("fails_on_13", in, dir.resolve("out.jsonl"), "--workers", "2", "--batch-size", "10",
        "--partition-size", "64k");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).contains("fails_on_13 raised ValueError on the DataFrame of partition")
        .contains("(input lines 11-20, 10 rows): 13 is unlucky")
        .contains("pandas_udfs.py\", line ").contains("raise ValueError(\"13 is unlucky\")");
    assertNoOutputLeft("out.jsonl");
  }

  @Test
  void aWorkerThatDiesMidPartition_exit4_namingThePartition_andLeavesNoOutput() throws Exception {
    Path in = jsonl("in.jsonl", 0, 100);
    CliProcess p = run("crash_on_13", in, dir.resolve("out.arrow"), "--workers", "2", "--batch-size", "10",
        "--partition-size", "64k");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(4);
    assertThat(p.stderr()).contains("a Python worker crashed while running partition 0, which starts at input line 1");
    assertNoOutputLeft("out.arrow");
  }

  @Test
  void funcReturnsNoDataFrame_exit1_sayingWhatItReturned() throws Exception {
    Path in = jsonl("in.jsonl", 0, 5);
    CliProcess p = run("not_a_frame", in, dir.resolve("out.jsonl"));
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).contains("not_a_frame returned list [").contains("returns one (with any number of rows)");
    assertNoOutputLeft("out.jsonl");
  }

  @Test
  void infiniteFloatInJsonOutput_exit1_namingTheColumn() throws Exception {
    Path in = jsonl("in.jsonl", 0, 10);
    CliProcess p = run("infinite", in, dir.resolve("out.jsonl"));
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(1);
    assertThat(p.stderr()).contains("column 'r' holds inf at result row").contains("JSON (RFC 8259) has no Infinity");
    assertNoOutputLeft("out.jsonl");
  }

  @Test
  void malformedJsonl_exit3_namingTheLine() throws Exception {
    Path in = Files.writeString(dir.resolve("in.jsonl"), "{\"x\": 1}\n\n{\"x\": 2}\n{\"x\": 3,\n{\"x\": 4}\n");
    CliProcess p = run("even_only", in, dir.resolve("out.jsonl"), "--partition-size", "64k");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(3);
    assertThat(p.stderr()).contains("input line 4 is not a JSON object").contains("'{\"x\": 3,'");
    assertNoOutputLeft("out.jsonl");
  }

  @Test
  void notAnArrowFile_exit3_beforeAnyPythonStarts() throws Exception {
    Path in = Files.writeString(dir.resolve("in.arrow"), "{\"x\": 1}\n");
    CliProcess p = run("even_only", in, dir.resolve("out.jsonl"), "--partition-size", "64k");
    assertThat(p.exitCode()).as(p.stderr()).isEqualTo(3);
    assertThat(p.stderr()).contains("--input " + in + " is not a valid Arrow IPC file: it is 9 bytes, too short");
    assertNoOutputLeft("out.jsonl");
  }

  @Test
  void badArguments_exit2() throws Exception {
    Path in = jsonl("in.jsonl", 0, 5);
    Path text = Files.writeString(dir.resolve("in.txt"), "a\n");
    Path arrow = arrowFile("in.arrow", 5, 5);
    assertThat(run("plus_one", text, dir.resolve("o.jsonl")).stderr()).contains("--pandas reads jsonl, csv or arrow");
    assertThat(run("plus_one", in, dir.resolve("o.jsonl"), "--schema", "x:int64").stderr())
        .contains("--schema fixes the schema of Arrow output");
    assertThat(run("plus_one", in, dir.resolve("o.jsonl"), "--allow-nan").stderr())
        .contains("--allow-nan does not apply to --pandas");
    CliProcess noPandas = CliProcess.run(dir, "run", "--udf", udfs + ":plus_one", "--input", arrow.toString(),
        "--output", dir.resolve("o.jsonl").toString(), "--python", PYTHON);
    assertThat(noPandas.exitCode()).isEqualTo(2);
    assertThat(noPandas.stderr()).contains("is Arrow IPC, which only --pandas reads");
    CliProcess badSchema = run("plus_one", in, dir.resolve("o.arrow"), "--schema", "x:int65");
    assertThat(badSchema.exitCode()).as(badSchema.stderr()).isEqualTo(2);
    assertThat(badSchema.stderr()).contains("bad --schema 'x:int65': 'int65' is not a pyarrow type name");
    assertNoOutputLeft("o.");
  }

  @Test
  void aPythonWithoutPandas_exit2_withTheInstallHint() throws Exception {
    Path bare = Path.of("/usr/bin/python3");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(bare), "no system python3 to run without pandas");
    String probe = python(0, "-c", "import subprocess, sys; print(subprocess.call(['/usr/bin/python3', '-c',"
        + " 'import pandas, pyarrow'], stderr=subprocess.DEVNULL))").strip();
    org.junit.jupiter.api.Assumptions.assumeTrue(!probe.equals("0"), "the system python3 has pandas and pyarrow");
    Path in = jsonl("in.jsonl", 0, 5);
    Files.writeString(dir.resolve("plain.py"), "def f(df):\n    return df\n");
    CliProcess q = CliProcess.run(dir, "run", "--pandas", "--udf", dir.resolve("plain.py") + ":f", "--input",
        in.toString(), "--output", dir.resolve("out.jsonl").toString(), "--python", bare.toString());
    assertThat(q.exitCode()).as(q.stderr()).isEqualTo(2);
    assertThat(q.stderr()).contains("pyworkers run --pandas needs pandas and pyarrow in the workers' Python")
        .contains("-m pip install pandas pyarrow");
    assertNoOutputLeft("out.jsonl");
  }
}
