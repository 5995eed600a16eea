package dev.pyworkers.internal.auth;

import java.security.SecureRandom;

/**
 * 256 random bits shared by one factory and its Python processes. Never printed: {@link #toString()} is redacted, and
 * it travels only over the child's stdin pipe. Immutable and thread-safe.
 */
public final class Secret {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final byte[] bytes;

  private Secret(byte[] bytes) {
    this.bytes = bytes;
  }

  public static Secret generate() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return new Secret(b);
  }

  /** For golden-file tests only. */
  public static Secret of(byte[] bytes) {
    if (bytes.length != 32) throw new IllegalArgumentException("secret must be 32 bytes, got " + bytes.length);
    return new Secret(bytes.clone());
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  static byte[] nonce() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return b;
  }

  @Override
  public String toString() {
    return "Secret[redacted]";
  }
}
