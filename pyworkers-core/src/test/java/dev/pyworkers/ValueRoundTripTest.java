package dev.pyworkers;

import static dev.pyworkers.testing.Results.drain;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.NoLeaks;
import dev.pyworkers.testing.TestPython;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every supported Java type with its edge values through real workers and back: for each value, what Python saw (a
 * canonical description: type and value) and what came back to Java, both as {@link ReturnType#ANY} and as the
 * value's own declared type. Each group runs three ways, so that every codec path is covered: rows as tuples (the
 * general pickler both ways), the bare column with several UDFs (the fast encoder in, tuples out), and the bare
 * column with the one typed UDF (the fast encoder and decoder; raw 64-bit ints for LONG).
 */
@ExtendWith(NoLeaks.class)
class ValueRoundTripTest {
  /** What Python saw, canonical: type name and value; strings as code points, bytes as hex, long ones hashed. */
  static final String DESCRIBE = String.join("\n",
      "import datetime, hashlib",
      "def canon(x):",
      "    t = type(x).__name__",
      "    if isinstance(x, (list, tuple)):",
      "        return t + '[' + ', '.join(canon(v) for v in x) + ']'",
      "    if isinstance(x, dict):",
      "        return t + '{' + ', '.join(canon(k) + ': ' + canon(v) for k, v in x.items()) + '}'",
      "    if isinstance(x, str):",
      "        if len(x) > 200:",
      "            return 'str len=%d sha256=%s' % (len(x), hashlib.sha256(x.encode('utf-8', 'surrogatepass'))"
          + ".hexdigest())",
      "        return 'str ' + ','.join('%X' % ord(c) for c in x)",
      "    if isinstance(x, (bytes, bytearray)):",
      "        return t + ' ' + x.hex()",
      "    if isinstance(x, datetime.datetime):",
      "        return 'datetime ' + x.isoformat() + ' tz=' + repr(x.tzinfo)",
      "    if isinstance(x, datetime.date):",
      "        return 'date ' + x.isoformat()",
      "    return t + ' ' + repr(x)",
      "");

  static final PythonFunction CANON = TestPython.source(DESCRIBE, "canon").withReturnType(ReturnType.STRING);
  static final PythonFunction IDENTITY = TestPython.source("def ident(x):\n    return x\n", "ident");

  /** One value: what Python must see, and what must come back (null: the value itself). */
  record Case(Object value, String python, Object back) {}

  WorkerRegistry registry;

  @BeforeEach
  void start() {
    registry = WorkerRegistry.create(TestPython.config().build());
  }

  @AfterEach
  void stop() {
    registry.close();
  }

  @Test
  void integers() {
    BigInteger big = BigInteger.TWO.pow(64).add(BigInteger.ONE);
    roundTrip(ReturnType.LONG, List.of(
        new Case(Long.MIN_VALUE, "int -9223372036854775808", null),
        new Case(Long.MAX_VALUE, "int 9223372036854775807", null),
        new Case(0L, "int 0", null),
        new Case(-1L, "int -1", null),
        new Case(Integer.MIN_VALUE, "int -2147483648", (long) Integer.MIN_VALUE),
        new Case(Integer.MAX_VALUE, "int 2147483647", (long) Integer.MAX_VALUE),
        new Case((short) -7, "int -7", -7L),
        new Case((byte) 127, "int 127", 127L)));
    roundTrip(ReturnType.DECIMAL, List.of(
        new Case(big, "int 18446744073709551617", new BigDecimal(big)),
        new Case(big.negate(), "int -18446744073709551617", new BigDecimal(big.negate()))));
  }

  @Test
  void typedBatches_edgeValuesInTheRawForms() {
    // 32 or more longs (or doubles) go in the raw 64-bit form to Python; LONG results come back the same way.
    List<Case> longs = new ArrayList<>();
    List<Case> doubles = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      long l = new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1L << 53}[i % 5];
      longs.add(new Case(l, "int " + l, null));
      double d = new double[] {Double.NaN, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.1}[i % 5];
      doubles.add(new Case(d, "float " + new String[] {"nan", "-0.0", "inf", "-inf", "0.1"}[i % 5], null));
    }
    roundTrip(ReturnType.LONG, longs);
    roundTrip(ReturnType.DOUBLE, doubles);
  }

  @Test
  void floatsAndBooleans() {
    roundTrip(ReturnType.DOUBLE, List.of(
        new Case(Double.NaN, "float nan", null),
        new Case(-0.0, "float -0.0", null),
        new Case(0.0, "float 0.0", null),
        new Case(Double.POSITIVE_INFINITY, "float inf", null),
        new Case(Double.NEGATIVE_INFINITY, "float -inf", null),
        new Case(Double.MIN_VALUE, "float 5e-324", null),
        new Case(Double.MAX_VALUE, "float 1.7976931348623157e+308", null),
        new Case(1.5f, "float 1.5", 1.5)));
    roundTrip(ReturnType.BOOLEAN, List.of(new Case(true, "bool True", null), new Case(false, "bool False", null)));
  }

  @Test
  void strings_everyPlaneAndLoneSurrogates() {
    StringBuilder planes = new StringBuilder();
    for (int cp : new int[] {'a', 0xE9, 0x4E2D, 0xFFFD, 0x1F600, 0x20000, 0x30000, 0xE0041, 0xF0000, 0x10FFFD}) {
      planes.appendCodePoint(cp);
    }
    String mega = "a".repeat(1 << 20);
    String megaSurrogate = "é".repeat(1 << 19) + "\uD800";
    roundTrip(ReturnType.STRING, List.of(
        new Case("", "str ", null),
        new Case("?", "str 3F", null),
        new Case(planes.toString(), codePoints(planes.toString()), null),
        new Case("a\uD800b", "str 61,D800,62", null),
        new Case("\uDC00", "str DC00", null),
        new Case("x\uDBFF", "str 78,DBFF", null),
        new Case("\uDC00\uD800", "str DC00,D800", null),
        new Case("\uD83D\uDE00", "str 1F600", null),
        new Case('\uD800', "str D800", "\uD800"),
        new Case('q', "str 71", "q"),
        new Case(mega, "str len=1048576 sha256=" + sha256(mega), null),
        new Case(megaSurrogate, "str len=524289 sha256=" + sha256(megaSurrogate), null)));
  }

  @Test
  void bytes_emptyAndAll256Values() {
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) all[i] = (byte) i;
    byte[] big = new byte[300_000];
    for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31);
    roundTrip(ReturnType.BINARY, List.of(
        new Case(new byte[0], "bytes ", null),
        new Case(all, "bytes " + HexFormat.of().formatHex(all), null),
        new Case(new byte[] {'?', (byte) 0xFF}, "bytes 3fff", null),
        new Case(big, "bytes " + HexFormat.of().formatHex(big), null)));
  }

  @Test
  void decimals_bigScaleAndPrecision() {
    List<Case> cases = new ArrayList<>();
    for (String s : new String[] {"0", "-0.000001", "1E-100", "1.5E+40", "12345.6789",
        "1234567890123456789012345678901234567890.123456789012345678901234567890",
        "-99999999999999999999999999999999999999", "0.1000"}) {
      BigDecimal d = new BigDecimal(s);
      cases.add(new Case(d, "Decimal Decimal('" + d + "')", null));
    }
    roundTrip(ReturnType.DECIMAL, cases);
  }

  @Test
  void dates_prolepticGregorianAcrossThe1582Switch() {
    List<Case> cases = new ArrayList<>();
    for (String d : new String[] {"0001-01-01", "9999-12-31", "1970-01-01", "1969-12-31", "2024-02-29",
        "1582-10-04", "1582-10-05", "1582-10-10", "1582-10-14", "1582-10-15", "1000-02-28", "1500-03-01", "0200-03-01"}) {
      cases.add(new Case(LocalDate.parse(d), "date " + d, null));
    }
    cases.add(new Case(java.sql.Date.valueOf(LocalDate.of(2024, 5, 17)), "date 2024-05-17", LocalDate.of(2024, 5, 17)));
    roundTrip(ReturnType.DATE, cases);
  }

  @Test
  void localDateTimes_naiveToTheMicrosecond_nanosTruncated() {
    List<Case> cases = new ArrayList<>();
    for (String t : new String[] {"1970-01-01T00:00", "1970-01-01T00:00:00.000001", "1969-12-31T23:59:59.999999",
        "0001-01-01T00:00", "9999-12-31T23:59:59.999999",
        "2024-03-31T02:30",                                   // does not exist in Europe/Berlin: naive, unchanged
        "2024-10-27T02:30", "1582-10-10T12:00"}) {
      LocalDateTime v = LocalDateTime.parse(t);
      cases.add(new Case(v, "datetime " + iso(v) + " tz=None", null));
    }
    LocalDateTime nanos = LocalDateTime.parse("2020-06-01T10:00:00.123456789");
    cases.add(new Case(nanos, "datetime 2020-06-01T10:00:00.123456 tz=None", nanos.withNano(123_456_000)));
    roundTrip(ReturnType.TIMESTAMP_NTZ, cases);
  }

  @Test
  void instants_awareUtcToTheMicrosecond_nanosTruncatedTowardThePast() {
    List<Case> cases = new ArrayList<>();
    for (Instant t : new Instant[] {Instant.EPOCH, Instant.ofEpochSecond(0, 1000), Instant.ofEpochSecond(0, -1000),
        Instant.parse("0001-01-01T00:00:00Z"), Instant.parse("9999-12-31T23:59:59.999999Z"),
        Instant.parse("1582-10-10T00:00:00Z"), Instant.parse("2024-03-31T01:30:00Z")}) {
      cases.add(new Case(t, "datetime " + iso(LocalDateTime.ofInstant(t, ZoneOffset.UTC)) + "+00:00"
          + " tz=datetime.timezone.utc", null));
    }
    cases.add(new Case(Instant.ofEpochSecond(0, -1), "datetime 1969-12-31T23:59:59.999999+00:00"
        + " tz=datetime.timezone.utc", Instant.ofEpochSecond(0, -1000)));
    cases.add(new Case(Instant.parse("9999-12-31T23:59:59.999999999Z"), "datetime 9999-12-31T23:59:59.999999+00:00"
        + " tz=datetime.timezone.utc", Instant.parse("9999-12-31T23:59:59.999999Z")));
    cases.add(new Case(java.sql.Timestamp.from(Instant.parse("2001-02-03T04:05:06.789012Z")),
        "datetime 2001-02-03T04:05:06.789012+00:00 tz=datetime.timezone.utc",
        Instant.parse("2001-02-03T04:05:06.789012Z")));
    cases.add(new Case(java.util.Date.from(Instant.parse("2001-02-03T04:05:06.789Z")),
        "datetime 2001-02-03T04:05:06.789000+00:00 tz=datetime.timezone.utc",
        Instant.parse("2001-02-03T04:05:06.789Z")));
    roundTrip(ReturnType.TIMESTAMP, cases);
  }

  @Test
  void offsetAndZonedDateTimes_awareAtTheOffsetOfTheirInstant() {
    List<Case> cases = new ArrayList<>();
    cases.add(new Case(java.time.OffsetDateTime.parse("2024-07-01T12:00:00.123456789+02:00"),
        "datetime 2024-07-01T12:00:00.123456+02:00 tz=datetime.timezone(datetime.timedelta(seconds=7200))",
        Instant.parse("2024-07-01T10:00:00.123456Z")));
    cases.add(new Case(java.time.ZonedDateTime.parse("2024-01-15T08:30:00-05:00[America/New_York]"),
        "datetime 2024-01-15T08:30:00-05:00 tz=datetime.timezone(datetime.timedelta(days=-1, seconds=68400))",
        Instant.parse("2024-01-15T13:30:00Z")));
    // the second 01:30 of the autumn change: the later offset, so the very instant
    cases.add(new Case(java.time.ZonedDateTime.of(LocalDateTime.parse("2024-10-27T02:30:00"),
        java.time.ZoneId.of("Europe/Paris")).withLaterOffsetAtOverlap(),
        "datetime 2024-10-27T02:30:00+01:00 tz=datetime.timezone(datetime.timedelta(seconds=3600))",
        Instant.parse("2024-10-27T01:30:00Z")));
    cases.add(new Case(java.time.ZonedDateTime.parse("2000-02-29T00:00:00Z[UTC]"),
        "datetime 2000-02-29T00:00:00+00:00 tz=datetime.timezone.utc", Instant.parse("2000-02-29T00:00:00Z")));
    cases.add(new Case(java.time.OffsetDateTime.parse("0001-01-01T00:00:00+00:30"),
        "datetime 0001-01-01T00:00:00+00:30 tz=datetime.timezone(datetime.timedelta(seconds=1800))",
        Instant.parse("0000-12-31T23:30:00Z"))); // its instant is in year 0: Java holds it, Python keeps the wall time
    roundTrip(ReturnType.TIMESTAMP, cases);
  }

  @Test
  void nestedListsAndMaps() {
    Map<Object, Object> map = new LinkedHashMap<>();
    map.put("k", Arrays.asList(1L, null, "\uD800"));
    map.put(7L, new byte[] {0, 1});
    map.put("d", LocalDate.of(1582, 10, 10));
    List<Object> list = Arrays.asList(1L, "two", Arrays.asList(3.5, List.of()), map, null, Instant.EPOCH);
    String mapView = "{str 6B: list[int 1, NoneType None, str D800], int 7: bytes 0001, str 64: date 1582-10-10}";
    roundTrip(ReturnType.LIST, List.of(new Case(list, "list[int 1, str 74,77,6F, list[float 3.5, list[]], dict"
        + mapView + ", NoneType None, datetime 1970-01-01T00:00:00+00:00 tz=datetime.timezone.utc]", null)));
    roundTrip(ReturnType.MAP, List.of(new Case(map, "dict" + mapView, null)));
    roundTrip(ReturnType.ANY, List.of(
        new Case(new Object[] {1L, "a"}, "tuple[int 1, str 61]", null),
        new Case(null, "NoneType None", null)));
  }

  /**
   * The cases through three runners: tuple rows with a second column, the bare column with three UDFs, and the bare
   * column with the one typed UDF. Python's view must match, and both what comes back as ANY and as {@code typed}.
   */
  private void roundTrip(ReturnType typed, List<Case> cases) {
    PythonFunction typedIdentity = IDENTITY.withReturnType(typed);
    List<Object[]> tupleRows = cases.stream().map(c -> new Object[] {0L, c.value()}).toList();
    List<Object[]> bareRows = cases.stream().map(c -> new Object[] {c.value()}).toList();
    PythonUdf dummy = PythonUdf.of(new int[] {0}, IDENTITY.withReturnType(ReturnType.LONG));
    check(typed, cases, List.of(PythonUdf.of(new int[] {1}, CANON), PythonUdf.of(new int[] {1}, IDENTITY),
        PythonUdf.of(new int[] {1}, typedIdentity), dummy), tupleRows, "tuple rows");
    check(typed, cases, List.of(PythonUdf.of(new int[] {0}, CANON), PythonUdf.of(new int[] {0}, IDENTITY),
        PythonUdf.of(new int[] {0}, typedIdentity)), bareRows, "bare column");
    for (int batch : new int[] {1, 1000}) {
      try (PythonRunner runner = PythonRunner.builder(registry).udf(PythonUdf.of(new int[] {0}, typedIdentity))
          .batchSize(batch).build()) {
        List<Object> out = drain(runner.compute(bareRows.iterator(), 0, TaskContext.of(0)));
        assertThat(out).hasSize(cases.size());
        for (int i = 0; i < cases.size(); i++) {
          assertThat(java(out.get(i))).as("one typed UDF, batch %d, %s back as %s", batch, java(cases.get(i).value()),
              typed).isEqualTo(java(expectedBack(cases.get(i), typed)));
        }
      }
    }
  }

  private void check(ReturnType typed, List<Case> cases, List<PythonUdf> udfs, List<Object[]> rows, String how) {
    try (PythonRunner runner = PythonRunner.builder(registry).udfs(udfs).build()) {
      List<Object> out = drain(runner.compute(rows.iterator(), 0, TaskContext.of(0)));
      assertThat(out).hasSize(cases.size());
      for (int i = 0; i < cases.size(); i++) {
        Case c = cases.get(i);
        Object[] r = (Object[]) out.get(i);
        String what = how + ", " + abbreviate(java(c.value()));
        assertThat(abbreviate((String) r[0])).as("what Python saw, " + what).isEqualTo(abbreviate(c.python()));
        assertThat(java(r[1])).as("back as ANY, " + what).isEqualTo(java(expectedBack(c, ReturnType.ANY)));
        assertThat(java(r[2])).as("back as " + typed + ", " + what).isEqualTo(java(expectedBack(c, typed)));
      }
    }
  }

  /** What comes back: the case's own, where ANY's view of a tuple is an Object[] and LIST's a List. */
  private static Object expectedBack(Case c, ReturnType type) {
    Object back = c.back() != null ? c.back() : c.value();
    if (ReturnType.ANY.equals(type) && back instanceof BigDecimal && c.value() instanceof BigInteger b) return b;
    return back;
  }

  /** A canonical description of a Java value: class and value, arrays by content, strings as code points. */
  static String java(Object v) {
    if (v == null) return "null";
    if (v instanceof byte[] b) return "byte[] " + HexFormat.of().formatHex(b);
    if (v instanceof String s) return s.length() > 200 ? "String len=" + s.length() + " sha256=" + sha256(s)
        : "String " + codePoints(s);
    if (v instanceof Object[] a) return "Object[]" + Arrays.stream(a).map(ValueRoundTripTest::java).toList();
    if (v instanceof List<?> l) return "List" + l.stream().map(ValueRoundTripTest::java).toList();
    if (v instanceof Map<?, ?> m) {
      return "Map{" + m.entrySet().stream().map(e -> java(e.getKey()) + "=" + java(e.getValue()))
          .collect(Collectors.joining(", ")) + "}";
    }
    if (v instanceof BigDecimal d) return "BigDecimal " + d + " scale " + d.scale();
    return v.getClass().getSimpleName() + " " + v;
  }

  static String codePoints(String s) {
    return "str " + s.codePoints().mapToObj(cp -> Integer.toHexString(cp).toUpperCase(Locale.ROOT))
        .collect(Collectors.joining(","));
  }

  static String iso(LocalDateTime t) {
    String s = String.format("%04d-%02d-%02dT%02d:%02d:%02d", t.getYear(), t.getMonthValue(), t.getDayOfMonth(),
        t.getHour(), t.getMinute(), t.getSecond());
    return t.getNano() == 0 ? s : s + String.format(".%06d", t.getNano() / 1000);
  }

  static String sha256(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      // Python's encode('utf-8', 'surrogatepass'): a lone surrogate as its three bytes.
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      for (int i = 0; i < s.length(); ) {
        int cp = s.codePointAt(i);
        i += Character.charCount(cp);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
          out.write(0xE0 | cp >> 12);
          out.write(0x80 | ((cp >> 6) & 0x3F));
          out.write(0x80 | (cp & 0x3F));
        } else {
          byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
          out.write(b, 0, b.length);
        }
      }
      return HexFormat.of().formatHex(md.digest(out.toByteArray()));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** Long descriptions by their head, length and hash, so that a failure stays readable. */
  private static String abbreviate(String s) {
    return s == null || s.length() <= 400 ? s
        : s.substring(0, 200) + "... (" + s.length() + " chars, hash " + s.hashCode() + ")";
  }
}
