package dev.pyworkers.internal.pickle;

import static dev.pyworkers.testing.Golden.golden;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pyworkers.testing.TestPython;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
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

  @Test
  void typedLists_unpickleInPython_asPlainListsOfTheSameValues() throws Exception {
    List<List<?>> lists = new ArrayList<>();
    List<Object> longs = new ArrayList<>();
    for (long i = 0; i < 3000; i++) longs.add(i * 7919 - 1_000_000);
    longs.addAll(List.of(Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L, 5, Integer.MIN_VALUE, Integer.MAX_VALUE));
    lists.add(longs);
    List<Object> doubles = new ArrayList<>();
    for (int i = 0; i < 40; i++) doubles.add(i / 3.0);
    doubles.addAll(List.of(-0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE,
        Double.MAX_VALUE));
    lists.add(doubles);
    List<Object> exactlyMin = new ArrayList<>();
    for (int i = 0; i < FastPickle.TYPED_MIN; i++) exactlyMin.add(i);
    lists.add(exactlyMin);
    FastPickle fp = new FastPickle();
    ByteArrayOutputStream sent = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(sent);
    for (List<?> list : lists) {
      assertThat(fp.encodeList(list)).isTrue();
      byte[] typed = Arrays.copyOf(fp.buffer(), fp.length());
      assertThat(typed[1]).as("protocol 4, the typed form").isEqualTo((byte) 4);
      assertThat(typed.length).isLessThan(8 * list.size() + 64);
      assertThat(FastPickle.decodeList(typed)).as("the JVM reads its own typed form").isEqualTo(widen(list));
      out.writeInt(typed.length);
      out.write(typed);
    }
    out.writeInt(-1);
    String script = "import pickle, struct, sys\n"
        + "inp, out = sys.stdin.buffer, sys.stdout.buffer\n"
        + "while True:\n"
        + "    n, = struct.unpack('!i', inp.read(4))\n"
        + "    if n < 0: break\n"
        + "    v = pickle.loads(inp.read(n))\n"
        + "    assert type(v) is list, type(v)\n"
        + "    assert {type(x) for x in v} <= {int, float}, {type(x) for x in v}\n"
        + "    data = pickle.dumps(v, 2); out.write(struct.pack('!i', len(data))); out.write(data)\n";
    Process p = new ProcessBuilder(TestPython.executable(), "-c", script).start();
    try (var stdin = p.getOutputStream()) {
      stdin.write(sent.toByteArray());
    }
    byte[] all = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all));
    for (List<?> list : lists) {
      byte[] plain = new byte[in.readInt()];
      in.readFully(plain);
      assertThat(FastPickle.decodeList(plain)).as("Python's list, pickled again").isEqualTo(widen(list));
    }
  }

  @Test
  void listsThatAreNotAllLongsOrAllDoubles_orShort_goInThePlainForm() {
    List<Object> withNull = new ArrayList<>(java.util.Collections.nCopies(100, 1L));
    withNull.set(50, null);
    List<Object> withBool = new ArrayList<>(java.util.Collections.nCopies(100, 1L));
    withBool.set(99, true);
    List<Object> mixed = new ArrayList<>(java.util.Collections.nCopies(100, 1L));
    mixed.set(0, 1.0);
    List<Object> doublesThenLong = new ArrayList<>(java.util.Collections.nCopies(100, 2.0));
    doublesThenLong.set(70, 2L);
    List<Object> short_ = new ArrayList<>(java.util.Collections.nCopies(FastPickle.TYPED_MIN - 1, 1L));
    FastPickle fp = new FastPickle();
    for (List<Object> list : List.of(withNull, withBool, mixed, doublesThenLong, short_)) {
      assertThat(fp.encodeList(list)).isTrue();
      byte[] b = Arrays.copyOf(fp.buffer(), fp.length());
      assertThat(b[1]).as("protocol 2, the plain form").isEqualTo((byte) 2);
      assertThat(FastPickle.decodeList(b)).isEqualTo(widen(list));
    }
  }

  @Test
  void truncatedOrAlteredTypedPickles_areNotDecodedAsTyped() throws IOException {
    byte[] whole = FastPickle.dumps(new ArrayList<>(java.util.Collections.nCopies(40, 3L)));
    for (int cut = 1; cut < whole.length; cut++) {
      assertThat(FastPickle.tryDecode(Arrays.copyOf(whole, cut))).as("cut at " + cut).isNull();
    }
    byte[] badCode = whole.clone();
    badCode[badCode.length - 8 * 40 - 5 - 6] = 'i';
    assertThat(FastPickle.tryDecode(badCode)).isNull();
    assertThat(FastPickle.tryDecode(whole)).hasSize(40).containsOnly(3L);
  }

  @Test
  void typedForm_matchesTheGoldenFiles_onLittleEndianMachines() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.LITTLE_ENDIAN,
        "the golden typed batches are little-endian; this machine writes its own order");
    List<Object> longs = new ArrayList<>(List.of(Long.MIN_VALUE, Long.MAX_VALUE, -1L, 0L, 1L, 1L << 31,
        -(1L << 31) - 1));
    for (long i = 0; i < 33; i++) longs.add(i * 1000003);
    List<Object> doubles = new ArrayList<>(List.of(-0.0, 0.5, -2.5, 1e300, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY));
    for (int i = 0; i < 26; i++) doubles.add(i / 4.0);
    byte[] q = golden("typed_batch_q.bin");
    byte[] d = golden("typed_batch_d.bin");
    assertThat(FastPickle.decodeList(q)).isEqualTo(longs);
    assertThat(FastPickle.decodeList(d)).isEqualTo(doubles);
    assertThat(FastPickle.dumps(longs)).isEqualTo(q);
    assertThat(FastPickle.dumps(doubles)).isEqualTo(d);
  }

  private static List<Object> widen(List<?> list) {
    List<Object> out = new ArrayList<>();
    for (Object v : list) out.add(v instanceof Integer n ? (Object) (long) n : v);
    return out;
  }
}
