package dev.pyworkers.internal.pickle;

import static dev.pyworkers.testing.Golden.golden;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.Pickles;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The JVM pickles row values exactly as {@code protocol/golden/jvm_values.bin} (written by
 * {@code python/tests/make_golden.py} from docs/protocol.md 5.5; {@code test_golden.py} checks that the standard
 * library alone reads it into the same values), and reads its own bytes back into the same Java values.
 */
class ValuePickleGoldenTest {
  static final List<Object> VALUES = Arrays.asList(null, true, -1L, 1L << 40, -0.0, "a\uD800\u00e9",
      new byte[] {0, (byte) 255}, new BigDecimal("1E-100"), LocalDate.of(1582, 10, 10),
      LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000), Instant.parse("1969-12-31T23:59:59.999999999Z"));

  @Test
  void rowValues_pickleToTheGoldenBytes() throws Exception {
    byte[] golden = golden("jvm_values.bin");
    assertThat(HexFormat.of().formatHex(Pickles.dumps(VALUES))).isEqualTo(HexFormat.of().formatHex(golden));
    ValuePickler pickler = new ValuePickler();
    assertThat(pickler.dumps(VALUES)).as("the pickler the runner's writer uses").isEqualTo(golden);
  }

  @Test
  void goldenBytes_readBackIntoTheSameJavaValues() throws Exception {
    List<Object> back = new java.util.ArrayList<>((List<?>) Pickles.loads(golden("jvm_values.bin")));
    assertThat(back).hasSize(VALUES.size());
    assertThat(back.subList(0, 6)).containsExactly(null, true, -1L, 1L << 40, -0.0, "a\uD800\u00e9");
    assertThat((byte[]) back.get(6)).containsExactly(0, 255);
    assertThat(back.get(7)).isEqualTo(new BigDecimal("1E-100"));
    assertThat(back.get(8)).isEqualTo(LocalDate.of(1582, 10, 10));
    assertThat(back.get(9)).isEqualTo(LocalDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_000));
    assertThat(back.get(10)).as("truncated toward the past").isEqualTo(Instant.parse("1969-12-31T23:59:59.999999Z"));
  }

  @Test
  void strings_withLoneSurrogates_takeTheSurrogatepassFormOnTheFastPathToo() {
    FastPickle fast = new FastPickle();
    assertThat(fast.encodeList(List.of("\uD800", "ok?", "\uD83D\uDE00"))).isTrue();
    byte[] p = Arrays.copyOf(fast.buffer(), fast.length());
    assertThat(HexFormat.of().formatHex(p)).isEqualTo("80025d28" + "5803000000eda080" + "58030000006f6b3f"
        + "5804000000f09f9880" + "652e");
    assertThat(FastPickle.decodeList(p)).containsExactly("\uD800", "ok?", "\uD83D\uDE00");
    assertThat(PickleText.decode(new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD}, 0, 3)).isEqualTo("\uFFFD");
    // Non-ASCII text takes the JDK's coder, unless it holds a surrogate.
    assertThat(fast.encodeList(List.of("\u00e9", "\u00e9\uDC00", "\uD83D\uDE00\u00e9"))).isTrue();
    p = Arrays.copyOf(fast.buffer(), fast.length());
    assertThat(HexFormat.of().formatHex(p)).isEqualTo("80025d28" + "5802000000c3a9" + "5805000000c3a9edb080"
        + "5806000000f09f9880c3a9" + "652e");
    assertThat(FastPickle.decodeList(p)).containsExactly("\u00e9", "\u00e9\uDC00", "\uD83D\uDE00\u00e9");
  }
}
