package dev.pyworkers.internal.pickle;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.TimeDelta;

/**
 * Pyrolite's unpickler with its own readers, on this instance only (Pyrolite's global registry is left alone), for
 * what Pyrolite gets wrong or cannot read:
 *
 * <ul>
 *   <li>{@code dict} → a {@link java.util.LinkedHashMap}, in Python's order;
 *   <li>{@code str}: UTF-8 with surrogatepass, so a lone surrogate is kept ({@link PickleText});
 *   <li>{@code datetime.date} → {@link LocalDate}, from the pickled year, month and day (proleptic Gregorian, not
 *       through a Julian/Gregorian {@code Calendar});
 *   <li>{@code datetime.datetime} → {@link LocalDateTime} when naive, {@link java.time.Instant} when aware, to the
 *       microsecond; {@code fold} decides between the two moments of a repeated wall time;
 *   <li>{@code datetime.timezone} → {@link ZoneOffset}; {@code zoneinfo.ZoneInfo} → {@link ZoneId} by its key
 *       (the JDK's time-zone rules, which may differ from Python's tzdata in a zone's recent changes);
 *   <li>{@code decimal.Decimal} → {@link BigDecimal}, and NaN or an infinity → {@link NonFinite}, not a
 *       NumberFormatException that loses the whole batch.
 * </ul>
 *
 * Not thread-safe: one instance per reader.
 */
public final class ValueUnpickler extends Unpickler {
  /** A {@code decimal.Decimal} that BigDecimal cannot hold: NaN, sNaN or an infinity; {@link #toDouble()}. */
  record NonFinite(String text) {
    double toDouble() {
      return text.contains("Inf") ? (text.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
          : Double.NaN;
    }

    @Override
    public String toString() {
      return "Decimal('" + text + "')";
    }
  }

  /** {@code zoneinfo.ZoneInfo}, called as {@code ZoneInfo(key)} or as {@code ZoneInfo._unpickle(key, from_cache)}. */
  private static final IObjectConstructor ZONE_INFO = ValueUnpickler::zoneInfo;

  private static final Map<String, IObjectConstructor> CONSTRUCTORS = Map.of(
      "datetime.date", ValueUnpickler::date,
      "datetime.datetime", ValueUnpickler::dateTime,
      "datetime.timezone", ValueUnpickler::timezone,
      "zoneinfo.ZoneInfo", ZONE_INFO,
      "zoneinfo.ZoneInfo._unpickle", ZONE_INFO,
      "builtins.getattr", ValueUnpickler::getattr,
      "decimal.Decimal", ValueUnpickler::decimal);

  @Override
  protected Object dispatch(short key) throws PickleException, IOException {
    switch (key) {
      case 'X' -> {                                            // BINUNICODE
        byte[] b = PickleUtils.readbytes(input, PickleUtils.bytes_to_integer(PickleUtils.readbytes(input, 4)));
        stack.add(PickleText.decode(b, 0, b.length));
      }
      case 0x8c -> {                                           // SHORT_BINUNICODE
        byte[] b = PickleUtils.readbytes(input, PickleUtils.readbyte(input));
        stack.add(PickleText.decode(b, 0, b.length));
      }
      case 0x8d -> {                                           // BINUNICODE8
        byte[] b = PickleUtils.readbytes(input, PickleUtils.bytes_to_long(PickleUtils.readbytes(input, 8), 0));
        stack.add(PickleText.decode(b, 0, b.length));
      }
      case '}' -> stack.add(new java.util.LinkedHashMap<>());   // EMPTY_DICT: keep Python's order
      case 'u' -> setItems();                                  // SETITEMS, in order
      case 0x93 -> {                                           // STACK_GLOBAL
        Object name = stack.pop();
        Object module = stack.pop();
        return global(key, module, name);
      }
      case 'c' -> {                                            // GLOBAL
        String module = PickleUtils.readline(input);
        String name = PickleUtils.readline(input);
        return global((short) 0x93, module, name);
      }
      default -> {
        return super.dispatch(key);
      }
    }
    return NO_RETURN_VALUE;
  }

  @SuppressWarnings("unchecked")
  private void setItems() {
    java.util.List<Object> items = stack.pop_all_since_marker();
    Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
    for (int i = 0; i + 1 < items.size(); i += 2) dict.put(items.get(i), items.get(i + 1));
  }

  /** Ours when we have one; otherwise back on the stack for Pyrolite's STACK_GLOBAL. */
  private Object global(short stackGlobal, Object module, Object name) throws IOException {
    IObjectConstructor c = CONSTRUCTORS.get(module + "." + name);
    if (c != null) {
      stack.add(c);
      return NO_RETURN_VALUE;
    }
    stack.add(module);
    stack.add(name);
    return super.dispatch(stackGlobal);
  }

  /** {@code (state,)} with the 4 state bytes of Python's date pickle, or {@code (year, month, day)}. */
  private static Object date(Object[] args) {
    int[] f = fields(args, 4, "datetime.date");
    try {
      return LocalDate.of(f[0], f[1], f[2]);
    } catch (DateTimeException e) {
      throw new PickleException("datetime.date" + Arrays.toString(f) + " is not a date: " + e.getMessage());
    }
  }

  /**
   * {@code (state[, tzinfo])} with the 10 state bytes of Python's datetime pickle (the month byte's top bit is
   * fold), or {@code (year, month, day, hour, minute, second, microsecond[, tzinfo])}.
   */
  private static Object dateTime(Object[] args) {
    boolean packed = args.length >= 1 && (args[0] instanceof byte[] || args[0] instanceof String);
    int[] f = fields(args, 10, "datetime.datetime");
    Object tz = packed ? (args.length > 1 ? args[1] : null) : (args.length > 7 ? args[7] : null);
    boolean fold = packed && (f[1] & 0x80) != 0;
    LocalDateTime local;
    try {
      local = LocalDateTime.of(f[0], f[1] & 0x7F, f[2], f[3], f[4], f[5], f[6] * 1000);
    } catch (DateTimeException e) {
      throw new PickleException("datetime.datetime" + Arrays.toString(f) + " is not a date and time: "
          + e.getMessage());
    }
    if (tz == null) return local;
    if (tz instanceof ZoneOffset o) return local.toInstant(o);
    if (tz instanceof ZoneId z) {
      ZonedDateTime at = ZonedDateTime.ofLocal(local, z, null);   // gap: moved on by its length, as Python's fold=0
      return (fold ? at.withLaterOffsetAtOverlap() : at.withEarlierOffsetAtOverlap()).toInstant();
    }
    throw new PickleException("a datetime.datetime has a tzinfo of " + tz.getClass().getName() + " (" + tz
        + "), which the JVM cannot read; return dt.astimezone(datetime.timezone.utc), or use datetime.timezone"
        + " or zoneinfo.ZoneInfo");
  }

  /** Year, month, day (and hour, minute, second, microsecond) from the packed state or from ints. */
  private static int[] fields(Object[] args, int stateLength, String what) {
    Object first = args.length > 0 ? args[0] : null;
    byte[] s = first instanceof byte[] b ? b
        : first instanceof String t ? t.getBytes(StandardCharsets.ISO_8859_1) : null;
    if (s != null) {
      if (s.length != stateLength) {
        throw new PickleException(what + " state of " + s.length + " bytes; Python pickles it in " + stateLength);
      }
      int[] f = new int[stateLength == 4 ? 3 : 7];
      f[0] = ((s[0] & 0xFF) << 8) | (s[1] & 0xFF);
      f[1] = s[2] & 0xFF;
      f[2] = s[3] & 0xFF;
      if (stateLength == 10) {
        f[3] = s[4] & 0xFF;
        f[4] = s[5] & 0xFF;
        f[5] = s[6] & 0xFF;
        f[6] = ((s[7] & 0xFF) << 16) | ((s[8] & 0xFF) << 8) | (s[9] & 0xFF);
      }
      return f;
    }
    int n = stateLength == 4 ? 3 : 7;
    if (args.length < n || (stateLength == 4 && args.length > 3) || args.length > 8) {
      throw new PickleException(what + " with arguments " + Arrays.toString(args) + " is not one the JVM reads");
    }
    int[] f = new int[n];
    for (int i = 0; i < n; i++) {
      if (!(args[i] instanceof Number num)) {
        throw new PickleException(what + " with arguments " + Arrays.toString(args) + " is not one the JVM reads");
      }
      f[i] = num.intValue();
    }
    return f;
  }

  /** {@code (timedelta[, name])}: a fixed offset from UTC, whole seconds within ±18 hours. */
  private static Object timezone(Object[] args) {
    if (args.length >= 1 && args[0] instanceof TimeDelta d && d.microseconds == 0) {
      long seconds = d.days * 86_400L + d.seconds;
      if (Math.abs(seconds) <= 18 * 3600) return ZoneOffset.ofTotalSeconds((int) seconds);
    }
    throw new PickleException("datetime.timezone with arguments " + Arrays.toString(args) + " has an offset the"
        + " JVM cannot hold (whole seconds within +-18 hours); return dt.astimezone(datetime.timezone.utc)");
  }

  /** {@code (key, from_cache)} of {@code zoneinfo.ZoneInfo}'s pickle: the zone of that name. */
  private static Object zoneInfo(Object[] args) {
    if (args.length >= 1 && args[0] instanceof String key) {
      try {
        return ZoneId.of(key);
      } catch (DateTimeException e) {
        throw new PickleException("zoneinfo.ZoneInfo('" + key + "') is a time zone the JVM does not know ("
            + e.getMessage() + "); return dt.astimezone(datetime.timezone.utc)");
      }
    }
    throw new PickleException("zoneinfo.ZoneInfo with arguments " + Arrays.toString(args) + " has no key; return"
        + " dt.astimezone(datetime.timezone.utc)");
  }

  /** Protocol 4 pickles {@code ZoneInfo._unpickle} as {@code getattr(ZoneInfo, '_unpickle')}; nothing else. */
  private static Object getattr(Object[] args) {
    if (args.length == 2 && args[0] == ZONE_INFO && "_unpickle".equals(args[1])) return ZONE_INFO;
    throw new PickleException("builtins.getattr with arguments " + Arrays.toString(args) + " is not one the JVM"
        + " reads");
  }

  private static Object decimal(Object[] args) {
    if (args.length != 1 || !(args[0] instanceof String text)) {
      throw new PickleException("decimal.Decimal with arguments " + Arrays.toString(args) + " is not one the JVM"
          + " reads");
    }
    if (text.contains("NaN") || text.contains("Inf")) return new NonFinite(text);
    try {
      return new BigDecimal(text);
    } catch (NumberFormatException e) {
      throw new PickleException("decimal.Decimal('" + text + "') is not a number the JVM reads");
    }
  }
}
