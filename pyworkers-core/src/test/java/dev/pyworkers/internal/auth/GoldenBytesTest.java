package dev.pyworkers.internal.auth;

import static dev.pyworkers.testing.Golden.golden;
import static dev.pyworkers.testing.Golden.oneByteAtATime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.internal.protocol.ControlMessages;
import dev.pyworkers.internal.protocol.ControlMessages.DaemonHello;
import dev.pyworkers.internal.protocol.Tag;
import dev.pyworkers.internal.protocol.TransportCode;
import dev.pyworkers.internal.protocol.WireInput;
import dev.pyworkers.internal.protocol.WorkerExit;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The JVM's encoders and decoders against the golden files of protocol/golden, which the Python tests check too, so
 * the two sides cannot drift. Decoders also read the files one byte at a time.
 */
class GoldenBytesTest {
  private static final byte[] SECRET = range(100, 32);
  private static final byte[] NW = range(0, 32);
  private static final byte[] NJ = range(32, 32);

  static byte[] range(int from, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (from + i);
    return b;
  }

  @Test
  void encoders_matchTheGoldenFiles() throws IOException {
    assertThat(ControlMessages.daemonInit(SECRET, TransportCode.UNIX, "/tmp/pyworkers-golden/d.sock", 10000, 65536,
        List.of("json", "os.path"))).isEqualTo(golden("daemon_init.bin"));
    assertThat(ControlMessages.simpleInit(SECRET, TransportCode.TCP4, "", 40000, 10000, 65536))
        .isEqualTo(golden("simple_init.bin"));
    assertThat(ControlMessages.kill(4242)).isEqualTo(golden("kill_cmd.bin"));
  }

  @Test
  void handshakeProofs_matchTheGoldenFiles() throws IOException {
    Secret s = Secret.of(SECRET);
    byte[] jvmProof = golden("jvm_proof.bin");
    assertThat(Arrays.copyOfRange(jvmProof, 0, 32)).isEqualTo(NJ);
    assertThat(Arrays.copyOfRange(jvmProof, 32, 64)).isEqualTo(Handshake.mac(s, Handshake.JVM_LABEL, NW, NJ));
    byte[] workerProof = golden("worker_proof.bin");
    assertThat(workerProof[0]).isZero();
    assertThat(Arrays.copyOfRange(workerProof, 1, 33)).isEqualTo(Handshake.mac(s, Handshake.WORKER_LABEL, NJ, NW));
  }

  @Test
  void decoders_readTheGoldenFiles_evenOneByteAtATime() throws IOException {
    for (boolean slow : new boolean[] {false, true}) {
      byte[] unix = golden("daemon_hello_unix.bin");
      WireInput in = new WireInput(slow ? oneByteAtATime(unix) : new ByteArrayInputStream(unix), "daemon hello");
      assertThat(in.readTag(Tag.DAEMON_HELLO)).isEqualTo(Tag.DAEMON_HELLO);
      assertThat(ControlMessages.readDaemonHelloBody(in))
          .isEqualTo(new DaemonHello(4242, 3, 11, TransportCode.UNIX, "/tmp/pyworkers-golden/d.sock", 0));

      byte[] tcp = golden("daemon_hello_tcp.bin");
      in = new WireInput(slow ? oneByteAtATime(tcp) : new ByteArrayInputStream(tcp), "daemon hello");
      in.readTag(Tag.DAEMON_HELLO);
      assertThat(ControlMessages.readDaemonHelloBody(in))
          .isEqualTo(new DaemonHello(4242, 3, 11, TransportCode.TCP4, null, 40000));

      byte[] err = golden("daemon_error.bin");
      in = new WireInput(slow ? oneByteAtATime(err) : new ByteArrayInputStream(err), "daemon hello");
      assertThat(in.readTag(Tag.DAEMON_HELLO, Tag.DAEMON_ERROR)).isEqualTo(Tag.DAEMON_ERROR);
      assertThat(in.readStr("message"))
          .isEqualTo("failed to preload module 'nope': ModuleNotFoundError: No module named 'nope'");

      byte[] hello = golden("worker_hello.bin");
      Handshake.WorkerHello h = Handshake.readHello(slow ? oneByteAtATime(hello) : new ByteArrayInputStream(hello));
      assertThat(h.pid()).isEqualTo(4242);
      assertThat(h.nonce()).isEqualTo(NW);

      byte[] forkFailed = golden("fork_failed.bin");
      h = Handshake.readHello(slow ? oneByteAtATime(forkFailed) : new ByteArrayInputStream(forkFailed));
      assertThat(h.pid()).isEqualTo(-11);
      assertThat(h.forkError()).isEqualTo("fork failed: [Errno 11] Resource temporarily unavailable");
    }
  }

  /**
   * The worker's side of handshake step 3, answering the proof the JVM wrote to {@code sent} (its random Nj), one
   * byte per read when {@code slow}.
   */
  static InputStream workerAnswer(java.io.ByteArrayOutputStream sent, int status, boolean slow) {
    return new InputStream() {
      InputStream reply;

      private InputStream reply() {
        if (reply == null) {
          byte[] nj = Arrays.copyOfRange(sent.toByteArray(), 0, 32);
          byte[] answer = new byte[33];
          answer[0] = (byte) status;
          System.arraycopy(Handshake.mac(Secret.of(SECRET), Handshake.WORKER_LABEL, nj, NW), 0, answer, 1, 32);
          reply = slow ? oneByteAtATime(answer) : new ByteArrayInputStream(answer);
        }
        return reply;
      }

      @Override
      public int read() throws IOException {
        return reply().read();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return reply().read(b, off, len);
      }
    };
  }

  @Test
  void handshake_readsTheWorkersProof_evenOneByteAtATime() throws IOException {
    for (boolean slow : new boolean[] {false, true}) {
      byte[] hello = golden("worker_hello.bin");
      Handshake.WorkerHello h = Handshake.readHello(slow ? oneByteAtATime(hello) : new ByteArrayInputStream(hello));
      java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
      Handshake.authenticate(workerAnswer(sent, 0, slow), sent, Secret.of(SECRET), h);
      byte[] proof = sent.toByteArray();
      assertThat(proof).hasSize(64);
      assertThat(Arrays.copyOfRange(proof, 32, 64))
          .isEqualTo(Handshake.mac(Secret.of(SECRET), Handshake.JVM_LABEL, NW, Arrays.copyOfRange(proof, 0, 32)));

      java.io.ByteArrayOutputStream sent2 = new java.io.ByteArrayOutputStream();
      assertThatThrownBy(() -> Handshake.authenticate(workerAnswer(sent2, 1, slow), sent2, Secret.of(SECRET), h))
          .isInstanceOf(dev.pyworkers.WorkerAuthException.class).hasMessageContaining("rejected the JVM's proof");
      java.io.ByteArrayOutputStream sent3 = new java.io.ByteArrayOutputStream();
      assertThatThrownBy(() -> Handshake.authenticate(workerAnswer(sent3, 7, slow), sent3, Secret.of(SECRET), h))
          .isInstanceOf(WorkerProtocolException.class).hasMessage("worker proof status byte is 7, expected 0 or 1");
    }
  }

  @Test
  void workerExitReports_matchAndDecodeTheGoldenFiles_evenOneByteAtATime() throws IOException {
    WorkerExit code = new WorkerExit(4242, WorkerExit.How.EXITED, 3, "", 5);
    WorkerExit signal = new WorkerExit(4242, WorkerExit.How.SIGNALED, 9, "SIGKILL", 17);
    assertThat(code.encode()).isEqualTo(golden("worker_exit_code.bin"));
    assertThat(signal.encode()).isEqualTo(golden("worker_exit_signal.bin"));
    for (boolean slow : new boolean[] {false, true}) {
      byte[] both = concat(golden("worker_exit_code.bin"), golden("worker_exit_signal.bin"));
      java.io.InputStream in = slow ? oneByteAtATime(both) : new ByteArrayInputStream(both);
      assertThat(WorkerExit.read(in)).isEqualTo(code).extracting(WorkerExit::describe).isEqualTo("exited with code 3");
      assertThat(WorkerExit.read(in)).isEqualTo(signal)
          .extracting(WorkerExit::describe).isEqualTo("killed by signal 9 (SIGKILL)");
      assertThat(WorkerExit.read(in)).isNull();
    }
  }

  @Test
  void badWorkerExitReports_areProtocolErrorsNamingTheValue() throws IOException {
    assertThatThrownBy(() -> WorkerExit.read(new ByteArrayInputStream(golden("kill_cmd.bin"))))
        .isInstanceOf(WorkerProtocolException.class)
        .hasMessageStartingWith("expected tag 'PWKX' at the start of worker exit report but read ");
    byte[] badHow = golden("worker_exit_code.bin");
    badHow[8] = 7;
    assertThatThrownBy(() -> WorkerExit.read(new ByteArrayInputStream(badHow)))
        .isInstanceOf(WorkerProtocolException.class)
        .hasMessage("how 7 is not 1, 2 or 3 in worker exit report");
    byte[] cut = Arrays.copyOf(golden("worker_exit_signal.bin"), 20);
    assertThatThrownBy(() -> WorkerExit.read(new ByteArrayInputStream(cut)))
        .isInstanceOf(java.io.EOFException.class)
        .hasMessage("end of stream after 3 of 7 bytes of signal name in worker exit report");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void oversizedAndTruncatedFields_areProtocolErrorsNamingTheValue() {
    byte[] hello = new byte[] {'P', 'W', 'K', 'W', (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xf5,
        0x7f, (byte) 0xff, (byte) 0xff, 0x00};
    assertThatThrownBy(() -> Handshake.readHello(new ByteArrayInputStream(hello)))
        .isInstanceOf(WorkerProtocolException.class)
        .hasMessage("fork error length 2147483392 exceeds max 4096 in worker hello");
    byte[] cut = Arrays.copyOf(golden("worker_hello.bin"), 20);
    assertThatThrownBy(() -> Handshake.readHello(new ByteArrayInputStream(cut)))
        .isInstanceOf(java.io.EOFException.class)
        .hasMessage("end of stream after 12 of 32 bytes of nonce in worker hello");
  }

}
