package dev.pyworkers.internal.runner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.TestPython;
import java.io.DataInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.razorvine.pickle.Unpickler;
import org.junit.jupiter.api.Test;

/** The fast pickle path agrees with Pyrolite and with real Python pickles, and steps aside for anything else. */
class FastPickleTest {
  static final List<Object> VALUES = Arrays.asList(null, true, false, 0L, 255L, 256L, 65535L, 65536L, -1L,
      (long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE, 7, 0.0, -2.5, 1e300,
      Double.NaN, "", "ascii", "naïve ☃ 日本 🎉", "x".repeat(300));

  @Test
  void encodedLists_readBackByPyrolite_asTheSameValues() throws IOException {
    FastPickle fp = new FastPickle();
    assertThat(fp.encodeList(VALUES)).isTrue();
    Object back = new Unpickler().loads(Arrays.copyOf(fp.buffer(), fp.length()));
    List<?> list = (List<?>) back;
    assertThat(list).hasSize(VALUES.size());
    for (int i = 0; i < VALUES.size(); i++) {
      Object want = VALUES.get(i) instanceof Integer n ? (long) n : VALUES.get(i);
      Object got = list.get(i) instanceof Integer n ? (long) n : list.get(i);
      assertThat(got).as("value " + i).isEqualTo(want);
    }
    assertThat(fp.encodeList(List.of(1L, new Object[] {2L}))).isFalse();
    assertThat(fp.encodeList(List.of(List.of(1L)))).isFalse();
  }

  @Test
  void pythonPicklesOfEveryProtocol_fastAndMemoised_decodeLikePyrolite() throws Exception {
    String script = "import pickle, io, struct, sys\n"
        + "vals = [None, True, False, 0, 255, 256, 65535, 65536, -1, -2**31, 2**31-1, -2**63, 2**63-1, 2**70,"
        + " 0.0, -2.5, 1e300, '', 'ascii', 'na\\u00efve \\u2603', 'x'*300]\n"
        + "vals = vals + ['ascii', vals[19]] + list(range(2500))\n"
        + "raw = [b'', b'\\x00\\xff', b'y'*300]\n"
        + "out = sys.stdout.buffer\n"
        + "for proto in (2, 3, 4, 5):\n"
        + "    for fast in (False, True):\n"
        + "        b = io.BytesIO(); p = pickle.Pickler(b, proto); p.fast = fast\n"
        + "        p.dump(vals if proto == 2 else vals + raw)\n"
        + "        data = b.getvalue(); out.write(struct.pack('!i', len(data))); out.write(data)\n"
        + "for odd in ([(1, 2)], {'a': 1}, [[1]], (1,), 5, [1.5j]):\n"
        + "    data = pickle.dumps(odd, 4); out.write(struct.pack('!i', len(data))); out.write(data)\n";
    Process p = new ProcessBuilder(TestPython.executable(), "-c", script).start();
    byte[] all = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all));
    for (int k = 0; k < 8; k++) {
      byte[] pickle = new byte[in.readInt()];
      in.readFully(pickle);
      List<Object> fast = FastPickle.decodeList(pickle);
      assertThat(fast).as("pickle " + k).isNotNull();
      List<?> slow = (List<?>) ResultConverter.normalize(new Unpickler().loads(pickle));
      assertThat(fast).hasSize(slow.size());
      for (int i = 0; i < slow.size(); i++) {
        if (slow.get(i) instanceof byte[] b) assertThat((byte[]) fast.get(i)).isEqualTo(b);
        else assertThat(fast.get(i)).as("pickle " + k + " value " + i).isEqualTo(slow.get(i));
      }
      assertThat(fast.get(13)).isEqualTo(BigInteger.TWO.pow(70));
    }
    for (int k = 0; k < 6; k++) {
      byte[] pickle = new byte[in.readInt()];
      in.readFully(pickle);
      assertThat(FastPickle.decodeList(pickle)).as("odd pickle " + k + " is left to Pyrolite").isNull();
      assertThat(FastPickle.loads(pickle)).isNotNull();
    }
  }

  @Test
  void truncatedPickles_areLeftToTheGeneralUnpickler() throws IOException {
    byte[] whole = FastPickle.dumps(new ArrayList<>(List.of(1L, "two", 3.0)));
    for (int cut = 1; cut < whole.length; cut++) {
      assertThat(FastPickle.tryDecode(Arrays.copyOf(whole, cut))).as("cut at " + cut).isNull();
    }
    assertThat(FastPickle.tryDecode(whole)).containsExactly(1L, "two", 3.0);
  }
}
