package dev.pyworkers.internal.auth;

import dev.pyworkers.WorkerAuthException;
import dev.pyworkers.WorkerProtocolException;
import dev.pyworkers.internal.protocol.ProofStatus;
import dev.pyworkers.internal.protocol.Tag;
import dev.pyworkers.internal.protocol.WireInput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The JVM side of the mutual HMAC-SHA256 handshake of docs/protocol.md section 2. Every read has a fixed size; the
 * caller bounds the time (it closes the channel when the auth timeout passes). Stateless and thread-safe.
 */
public final class Handshake {
  static final byte[] JVM_LABEL = "pyworkers-jvm".getBytes(StandardCharsets.US_ASCII);
  static final byte[] WORKER_LABEL = "pyworkers-worker".getBytes(StandardCharsets.US_ASCII);

  private Handshake() {}

  /** The first message of a worker: its pid (negative when the daemon could not fork) and its nonce. */
  public record WorkerHello(long pid, byte[] nonce, String forkError) {}

  /** Reads the worker's hello. A negative pid comes back with the daemon's fork error message and no nonce. */
  public static WorkerHello readHello(InputStream in) throws IOException {
    WireInput w = new WireInput(in, "worker hello");
    w.readTag(Tag.WORKER_HELLO);
    int pid = w.readInt("pid");
    if (pid < 0) {
      return new WorkerHello(pid, null, w.readStr("fork error"));
    }
    if (pid == 0) throw new WorkerProtocolException("worker reported pid 0 in worker hello");
    return new WorkerHello(pid, w.readExact(32, "nonce"), null);
  }

  /**
   * Proves the JVM knows the secret and checks the worker's proof. Throws {@link WorkerAuthException} when the worker
   * rejects our proof or its own proof is wrong.
   */
  public static void authenticate(InputStream in, OutputStream out, Secret secret, WorkerHello hello)
      throws IOException {
    byte[] nj = Secret.nonce();
    byte[] mj = mac(secret, JVM_LABEL, hello.nonce(), nj);
    byte[] msg = new byte[64];
    System.arraycopy(nj, 0, msg, 0, 32);
    System.arraycopy(mj, 0, msg, 32, 32);
    out.write(msg);
    out.flush();
    WireInput w = new WireInput(in, "worker proof");
    int status = w.readU8("status");
    if (status == ProofStatus.REJECTED.code()) {
      throw new WorkerAuthException(
          "Python worker pid " + hello.pid() + " rejected the JVM's proof of the secret; the worker does not share"
              + " this factory's secret (was it started by another factory or program?)");
    }
    if (status != ProofStatus.ACCEPTED.code()) {
      throw new WorkerProtocolException("worker proof status byte is " + status + ", expected 0 or 1");
    }
    byte[] mw = w.readExact(32, "worker MAC");
    if (!MessageDigest.isEqual(mw, mac(secret, WORKER_LABEL, nj, hello.nonce()))) {
      throw new WorkerAuthException(
          "Python worker pid " + hello.pid() + " failed authentication: its proof does not match this factory's"
              + " secret; the peer on the socket is not a worker this factory started");
    }
  }

  static byte[] mac(Secret secret, byte[] label, byte[] first, byte[] second) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.bytes(), "HmacSHA256"));
      mac.update(label);
      mac.update(first);
      mac.update(second);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
    }
  }
}
