package dev.pyworkers.gateway.internal.py4j;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A socket's input stream that, before a read that would block, polls {@link InputStream#available()} for up to
 * {@code spinNanos}: the JVM's half of the driver's polling (the driver's {@code _linereader} module says why). A
 * command that comes within the window is read without the thread going to sleep and its CPU waking up again; after
 * it, the read blocks as before.
 *
 * <p>A poll that ends without bytes turns polling off for the next reads, 1 after the first such poll, then 2, 4,
 * ... up to {@value #MAX_BACKOFF_READS} while they keep failing; one that gets bytes starts again at 1. When the
 * driver thinks between calls longer than the window, or shares this thread's CPU (then each side's polling only
 * delays the other), polling would cost a window a call and save nothing; a single late command costs one read
 * without polling. One reading thread per stream, as Py4J has.
 */
final class PollingInputStream extends FilterInputStream {
  static final int MAX_BACKOFF_READS = 4096;

  private final long spinNanos;
  private int skip;
  private int backoff = 1;

  PollingInputStream(InputStream in, long spinNanos) {
    super(in);
    this.spinNanos = spinNanos;
  }

  private void awaitBytes() throws IOException {
    if (skip > 0) {
      skip--;
      return;
    }
    long deadline = System.nanoTime() + spinNanos;
    while (in.available() == 0) {
      if (System.nanoTime() - deadline >= 0) {
        skip = backoff;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_READS);
        return;
      }
      Thread.onSpinWait();
    }
    backoff = 1;
  }

  @Override
  public int read() throws IOException {
    awaitBytes();
    return in.read();
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len > 0) awaitBytes();
    return in.read(b, off, len);
  }
}
