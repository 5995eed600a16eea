package dev.pyworkers.internal.pickle;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Calendar;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Pickler;

/**
 * Pyrolite's pickler with the values it gets wrong written the way Python's standard library reads them, on this
 * instance only (Pyrolite's global registry is left alone, as an engine such as Spark uses Pyrolite itself):
 *
 * <ul>
 *   <li>{@code byte[]} as {@code bytes} (BINBYTES), not {@code bytearray};
 *   <li>{@code BigDecimal} as {@code decimal.Decimal(d.toString())}, so that Python keeps its exponent (scale);
 *   <li>{@code String} as UTF-8 with surrogatepass (lone surrogates kept, {@link PickleText});
 *   <li>{@code LocalDate} (and {@code java.sql.Date}, by its fields) as {@code datetime.date(y, m, d)}, proleptic
 *       Gregorian as Python's;
 *   <li>{@code LocalDateTime} as a naive {@code datetime.datetime(y, m, d, h, mi, s, us)};
 *   <li>{@code Instant} (and {@code Calendar}, {@code java.util.Date}) as {@code datetime.datetime(..., us,
 *       datetime.timezone(datetime.timedelta(0)))}, that is UTC, with no pytz;
 *   <li>{@code OffsetDateTime} and {@code ZonedDateTime} as an aware {@code datetime.datetime} of their wall time with
 *       {@code datetime.timezone(datetime.timedelta(0, <offset seconds>))}: the same instant, at the offset its zone
 *       has then (a fixed offset: the zone's rules stay in the JVM, and every Python from 3.8 reads it).
 * </ul>
 *
 * Nanoseconds are truncated toward the past to whole microseconds, as Spark does; a year outside 1..9999 (Python's
 * range) is an {@link IllegalArgumentException}. {@code IObjectPickler}s cannot do this per instance (Pyrolite looks
 * them up in a static map, and only after its own handling of arrays and strings), so this overrides
 * {@link #save(Object)}, which Pyrolite also calls for the members of lists, tuples and maps. Not thread-safe: one
 * instance per writer.
 */
public final class ValuePickler extends Pickler {
  private static final byte[] DECIMAL = global("decimal", "Decimal");
  private static final byte[] DATE = global("datetime", "date");
  private static final byte[] DATETIME = global("datetime", "datetime");
  /**
   * {@code datetime.timezone(datetime.timedelta(0, 0, 0))}, which is {@code datetime.timezone.utc} itself (three
   * arguments, as Python pickles a timedelta, so that Pyrolite reads it back too).
   */
  /** {@code datetime.timezone} then {@code datetime.timedelta}: a fixed offset follows, then the calls. */
  private static final byte[] TIMEZONE_TIMEDELTA = concat(global("datetime", "timezone"), global("datetime", "timedelta"));
  private static final byte[] UTC = concat(global("datetime", "timezone"), global("datetime", "timedelta"),
      new byte[] {'K', 0, 'K', 0, 'K', 0, (byte) 0x87, 'R', (byte) 0x85, 'R'});

  public ValuePickler() {
    super(false);
  }

  @Override
  // a caller may hand us a java.util.Date; it is converted to an Instant at once and never used as a Date
  @SuppressWarnings("JavaUtilDate")
  public void save(Object o) throws PickleException, IOException {
    if (o instanceof String s) {
      bytes('X', PickleText.encode(s));
    } else if (o instanceof byte[] b) {
      bytes(b.length < 256 ? 'C' : 'B', b);
    } else if (o instanceof java.math.BigDecimal d) {
      out.write(DECIMAL);
      bytes('X', d.toString().getBytes(StandardCharsets.US_ASCII));
      out.write(0x85);                                        // TUPLE1
      out.write('R');
    } else if (o instanceof Instant t) {
      instant(t);
    } else if (o instanceof java.time.OffsetDateTime t) {
      atOffset(t);
    } else if (o instanceof java.time.ZonedDateTime t) {
      atOffset(t.toOffsetDateTime());
    } else if (o instanceof LocalDateTime t) {
      dateTime(t, null);
    } else if (o instanceof LocalDate d) {
      date(d);
    } else if (o instanceof java.sql.Date d) {
      date(d.toLocalDate());
    } else if (o instanceof java.sql.Timestamp t) {
      instant(t.toInstant());
    } else if (o instanceof java.util.Date d) {
      instant(Instant.ofEpochMilli(d.getTime()));
    } else if (o instanceof Calendar c) {
      instant(c.toInstant());
    } else {
      super.save(o);
    }
  }

  private void bytes(char opcode, byte[] b) throws IOException {
    OutputStream out = this.out;
    out.write(opcode);
    if (opcode == 'C') {
      out.write(b.length);
    } else {
      out.write(b.length);
      out.write(b.length >>> 8);
      out.write(b.length >>> 16);
      out.write(b.length >>> 24);
    }
    out.write(b);
  }

  private void instant(Instant t) throws IOException {
    checkYear(t.atOffset(ZoneOffset.UTC).getYear(), t);
    dateTime(LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), ZoneOffset.UTC), 0);
  }

  private void atOffset(java.time.OffsetDateTime t) throws IOException {
    LocalDateTime local = t.toLocalDateTime();
    checkYear(local.getYear(), t);
    dateTime(local, t.getOffset().getTotalSeconds());
  }

  private void date(LocalDate d) throws IOException {
    checkYear(d.getYear(), d);
    out.write(DATE);
    smallInt(d.getYear());
    smallInt(d.getMonthValue());
    smallInt(d.getDayOfMonth());
    out.write(0x87);                                          // TUPLE3
    out.write('R');                                           // REDUCE
  }

  /** A naive datetime for a null {@code offsetSeconds}, else an aware one: UTC for 0, that fixed offset otherwise. */
  private void dateTime(LocalDateTime t, Integer offsetSeconds) throws IOException {
    checkYear(t.getYear(), t);
    out.write(DATETIME);
    out.write('(');                                           // MARK
    smallInt(t.getYear());
    smallInt(t.getMonthValue());
    smallInt(t.getDayOfMonth());
    smallInt(t.getHour());
    smallInt(t.getMinute());
    smallInt(t.getSecond());
    smallInt(t.getNano() / 1000);                             // toward the past: the nano field is never negative
    if (offsetSeconds != null && offsetSeconds == 0) {
      out.write(UTC);
    } else if (offsetSeconds != null) {
      out.write(TIMEZONE_TIMEDELTA);                          // datetime.timezone, datetime.timedelta
      out.write('K');
      out.write(0);
      signedInt(offsetSeconds);
      out.write('K');
      out.write(0);
      out.write(0x87);                                        // TUPLE3: timedelta(0, seconds, 0)
      out.write('R');
      out.write(0x85);                                        // TUPLE1: timezone(timedelta)
      out.write('R');
    }
    out.write('t');                                           // TUPLE
    out.write('R');
  }

  /** BININT: a signed 4-byte little-endian int. */
  private void signedInt(int v) throws IOException {
    out.write('J');
    out.write(v);
    out.write(v >>> 8);
    out.write(v >>> 16);
    out.write(v >>> 24);
  }

  /** BININT1, BININT2 or BININT for 0 .. 2^31-1. */
  private void smallInt(int v) throws IOException {
    if (v < 256) {
      out.write('K');
      out.write(v);
    } else if (v < 65536) {
      out.write('M');
      out.write(v);
      out.write(v >>> 8);
    } else {
      out.write('J');
      out.write(v);
      out.write(v >>> 8);
      out.write(v >>> 16);
      out.write(v >>> 24);
    }
  }

  private static void checkYear(int year, Object value) {
    if (year < 1 || year > 9999) {
      throw new IllegalArgumentException(value.getClass().getSimpleName() + " " + value + " is outside Python's"
          + " datetime range (years 1 to 9999); send such values as a number or a string instead");
    }
  }

  /** GLOBAL {@code module\nname\n}, a protocol 0 opcode that every protocol reads. */
  private static byte[] global(String module, String name) {
    return ("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) b.write(p, 0, p.length);
    return b.toByteArray();
  }
}
