package dev.pyworkers.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The golden protocol files (protocol/golden, copied into core's test classes under {@code /golden}) and the slow
 * stream the readers are fed them through. Stateless.
 */
public final class Golden {
  private Golden() {}

  /** The bytes of golden file {@code name}; fails the test when it is missing. */
  public static byte[] golden(String name) {
    try (InputStream in = Golden.class.getResourceAsStream("/golden/" + name)) {
      assertThat(in).as("golden file " + name).isNotNull();
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read golden file " + name, e);
    }
  }

  /** A stream that yields at most one byte per read call, like a slow socket (okio's OneByteAtATimeSource). */
  public static InputStream oneByteAtATime(byte[] data) {
    return new InputStream() {
      int pos;

      @Override
      public int read() {
        return pos < data.length ? data[pos++] & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (len == 0) return 0;
        int v = read();
        if (v < 0) return -1;
        b[off] = (byte) v;
        return 1;
      }
    };
  }
}
