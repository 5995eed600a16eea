package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Results against their declared {@link ReturnType} through real workers: aware and naive timestamps, decimals with
 * a precision and scale, and results that do not fit, which fail naming UDF, row and value, or become null with
 * {@link OnMismatch#NULL}, on the pickled and on the raw-int LONG path alike.
 */
@ExtendWith(NoLeaks.class)
class ResultTypeTest {
  WorkerRegistry registry;

  @BeforeEach
  void start() {
    registry = WorkerRegistry.create(TestPython.config().build());
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  /** Runs {@code expr} (Python, of x = the row index) over rows 0..n-1 with one UDF of the given type. */
  private List<Object> run(String expr, int n, ReturnType type, OnMismatch onMismatch) {
    PythonFunction f = TestPython.source("import datetime, decimal, zoneinfo\nD = decimal.Decimal\n"
        + "UTC = datetime.timezone.utc\ndef f(x):\n    return " + expr + "\n", "f").withReturnType(type, onMismatch);
    try (PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, f)).build()) {
      List<Object[]> rows = new ArrayList<>();
      for (long i = 0; i < n; i++) rows.add(new Object[] {i});
      return drain(runner.compute(rows.iterator(), 0, TaskContext.of(0)));
    }
  }

  private List<Object> run(String expr, ReturnType type) {
    return run(expr, 1, type, OnMismatch.ERROR);
  }

  @Test
  void timestamps_awareConvertExactly_naiveAreUtc_microsecondsKept() {
    assertThat(run("datetime.datetime(2024, 1, 2, 3, 4, 5, 678901)", ReturnType.TIMESTAMP))
        .containsExactly(Instant.parse("2024-01-02T03:04:05.678901Z"));
    assertThat(run("datetime.datetime(2024, 1, 2, 3, 4, 5, 1, tzinfo=datetime.timezone(datetime.timedelta("
        + "hours=5, minutes=30)))", ReturnType.TIMESTAMP)).containsExactly(Instant.parse("2024-01-01T21:34:05.000001Z"));
    assertThat(run("datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)", ReturnType.TIMESTAMP))
        .containsExactly(Instant.parse("1969-12-31T23:59:59.999999Z"));
    // Europe/Berlin repeats 02:00-03:00 on 2024-10-27: fold picks the first (CEST) or the second (CET) one.
    assertThat(run("datetime.datetime(2024, 10, 27, 2, 30, tzinfo=zoneinfo.ZoneInfo('Europe/Berlin'), fold=x)", 2,
        ReturnType.TIMESTAMP, OnMismatch.ERROR))
        .containsExactly(Instant.parse("2024-10-27T00:30:00Z"), Instant.parse("2024-10-27T01:30:00Z"));
    assertThat(run("datetime.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo('America/New_York'))",
        ReturnType.TIMESTAMP)).containsExactly(Instant.parse("2024-07-01T16:00:00Z"));
    assertThat(run("datetime.datetime(9999, 12, 31, 23, 59, 59, 999999)", ReturnType.TIMESTAMP_NTZ))
        .containsExactly(LocalDateTime.parse("9999-12-31T23:59:59.999999"));
    assertThat(run("datetime.datetime(2024, 1, 1, tzinfo=UTC)", ReturnType.ANY))
        .containsExactly(Instant.parse("2024-01-01T00:00:00Z"));
    assertThat(run("datetime.datetime(2024, 1, 1)", ReturnType.ANY))
        .containsExactly(LocalDateTime.parse("2024-01-01T00:00"));
  }

  @Test
  void timestamps_anUnreadableTzinfo_failsNamingItAndTheWayOut() {
    // A tzinfo class of the user's own: the JVM cannot know its offsets.
    PythonFunction f = TestPython.source("import datetime, custom_tz\n"
        + "def f(x):\n    return datetime.datetime(2024, 1, 1, tzinfo=custom_tz.PlusOne())\n", "f")
        .withReturnType(ReturnType.TIMESTAMP);
    try (PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, f)).build()) {
      assertThatThrownBy(() -> drain(runner.compute(List.<Object[]>of(new Object[] {1L}).iterator(), 0,
          TaskContext.of(0))))
          .isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("a batch of results of partition 0 from Python worker pid")
          .hasMessageContaining("a datetime.datetime has a tzinfo of")
          .hasMessageContaining("return dt.astimezone(datetime.timezone.utc)");
    }
  }

  @Test
  void strings_loneSurrogateResultsAreKept() {
    assertThat(run("'a\\ud800b' + chr(0xdfff)", ReturnType.STRING)).containsExactly("a\uD800b\uDFFF");
    assertThat(run("['\\udc00', {'k\\ud83d': '\\U0001F600'}]", ReturnType.ANY).toString())
        .isEqualTo("[[\uDC00, {k\uD83D=\uD83D\uDE00}]]");
  }

  @Test
  void decimalWithPrecisionAndScale_roundsHalfUp_andOverflowIsAnError() {
    ReturnType d52 = ReturnType.decimal(5, 2);
    assertThat(run("[D('1.005'), D('-1.005'), D('1.004'), 7, D('999.994'), D('-999.99'), D('0.001'), None][x]", 8,
        d52, OnMismatch.ERROR)).containsExactly(new BigDecimal("1.01"), new BigDecimal("-1.01"),
            new BigDecimal("1.00"), new BigDecimal("7.00"), new BigDecimal("999.99"), new BigDecimal("-999.99"),
            new BigDecimal("0.00"), null);
    assertThat(run("D('12345678901234567890123456789012345678')", ReturnType.decimal(38, 0)))
        .containsExactly(new BigDecimal("12345678901234567890123456789012345678"));
    assertThatThrownBy(() -> run("[D('1'), D('999.995')][x]", 2, d52, OnMismatch.ERROR))
        .isInstanceOf(PythonWorkerException.class)
        .hasMessageContaining("UDF 0 returned a BigDecimal (999.995) for row 1")
        .hasMessageContaining("DECIMAL(5, 2), which holds at most 3 digit(s) before the point")
        .hasMessageContaining("OnMismatch.NULL");
    assertThat(run("[D('1'), D('-1000'), 10 ** 40][x]", 3, d52, OnMismatch.NULL))
        .containsExactly(new BigDecimal("1.00"), null, null);
  }

  @Test
  void decimalType_refusesABadPrecisionOrScale() {
    assertThatThrownBy(() -> ReturnType.decimal(0, 0)).hasMessageContaining("decimal precision 0 is outside 1..38");
    assertThatThrownBy(() -> ReturnType.decimal(39, 2)).hasMessageContaining("precision 39 is outside 1..38");
    assertThatThrownBy(() -> ReturnType.decimal(5, 6)).hasMessageContaining("decimal(5, 6): scale 6 is outside 0..5");
    assertThatThrownBy(() -> ReturnType.decimal(5, -1)).hasMessageContaining("scale -1 is outside 0..5");
    assertThat(ReturnType.decimal(10, 3)).isEqualTo(ReturnType.decimal(10, 3)).hasToString("DECIMAL(10, 3)");
    assertThat(ReturnType.LONG.kind()).isEqualTo(ReturnType.Kind.LONG);
  }

  /** Results that do not fit their type: the error names UDF, row and value; OnMismatch.NULL gives null. */
  @Test
  void mismatches_failNamingUdfRowAndValue_orBecomeNullWhenAskedFor() {
    record Bad(String expr, ReturnType type, String value) {}
    List<Bad> bad = List.of(
        new Bad("2 ** 63", ReturnType.LONG, "a BigInteger (9223372036854775808)"),
        new Bad("-2 ** 63 - 1", ReturnType.LONG, "a BigInteger (-9223372036854775809)"),
        new Bad("1.5", ReturnType.LONG, "a Double (1.5)"),
        new Bad("'7'", ReturnType.LONG, "a String (7)"),
        new Bad("5", ReturnType.STRING, "a Long (5)"),
        new Bad("b'x'", ReturnType.STRING, "a byte[] (1 bytes)"),
        new Bad("'2024-01-01'", ReturnType.DATE, "a String (2024-01-01)"),
        new Bad("datetime.datetime(2024, 1, 1)", ReturnType.DATE, "a LocalDateTime (2024-01-01T00:00)"),
        new Bad("float('nan')", ReturnType.DECIMAL, "a Double (NaN)"),
        new Bad("D('NaN')", ReturnType.DECIMAL, "a decimal.Decimal (Decimal('NaN'))"),
        new Bad("D('-Infinity')", ReturnType.decimal(10, 2), "a decimal.Decimal (Decimal('-Infinity'))"),
        new Bad("1.5", ReturnType.decimal(10, 2), "a Double (1.5)"),
        new Bad("datetime.datetime(2024, 1, 1, tzinfo=UTC)", ReturnType.TIMESTAMP_NTZ,
            "an Instant (2024-01-01T00:00:00Z)"),
        new Bad("datetime.date(2024, 1, 1)", ReturnType.TIMESTAMP, "a LocalDate (2024-01-01)"),
        new Bad("1", ReturnType.BOOLEAN, "a Long (1)"),
        new Bad("'x'", ReturnType.DOUBLE, "a String (x)"),
        new Bad("D('1.5')", ReturnType.DOUBLE, "a BigDecimal (1.5)"),
        new Bad("{}", ReturnType.LIST, "a LinkedHashMap ({})"),
        new Bad("[1]", ReturnType.MAP, "an ArrayList ([1])"));
    for (Bad b : bad) {
      // Row 3 of 5 does not fit; the others are None.
      String expr = "(" + b.expr() + ") if x == 3 else None";
      assertThatThrownBy(() -> run(expr, 5, b.type(), OnMismatch.ERROR)).as(b.toString())
          .isInstanceOf(PythonWorkerException.class)
          .hasMessageContaining("UDF 0 returned " + b.value() + " for row 3 but its"
              + " return type is " + b.type());
      assertThat(run(expr, 5, b.type(), OnMismatch.NULL)).as(b.toString()).containsExactly(null, null, null, null,
          null);
    }
  }

  @Test
  void longFastPath_obeysTheSameRules() {
    // A batch of ints in range goes as raw 64-bit ints; one holding a value that does not fit goes pickled.
    String expr = "2 ** 63 if x == 40 else 1.5 if x == 41 else x";
    assertThatThrownBy(() -> run(expr, 100, ReturnType.LONG, OnMismatch.ERROR))
        .isInstanceOf(PythonWorkerException.class)
        .hasMessageContaining("UDF 0 returned a BigInteger (9223372036854775808) for row 40");
    List<Object> out = run(expr, 100, ReturnType.LONG, OnMismatch.NULL);
    assertThat(out).hasSize(100);
    for (int i = 0; i < 100; i++) assertThat(out.get(i)).as("row " + i).isEqualTo(i == 40 || i == 41 ? null : (long) i);
  }

  @Test
  void severalUdfs_eachWithItsOwnChoice() {
    PythonFunction big = TestPython.source("def f(x):\n    return 2 ** 64\n", "f");
    try (PythonRunner runner = PythonRunner.builder(registry).udfs(List.of(
        PythonUdf.of(new int[] {0}, big.withReturnType(ReturnType.LONG, OnMismatch.NULL)),
        PythonUdf.of(new int[] {0}, big.withReturnType(ReturnType.DECIMAL)))).build()) {
      List<Object> out = drain(runner.compute(List.<Object[]>of(new Object[] {1L}).iterator(), 0,
          TaskContext.of(0)));
      assertThat(Arrays.asList((Object[]) out.get(0))).containsExactly(null, new BigDecimal("18446744073709551616"));
    }
  }
}
