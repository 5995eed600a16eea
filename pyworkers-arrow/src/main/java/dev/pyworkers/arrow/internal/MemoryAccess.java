package dev.pyworkers.arrow.internal;

import java.nio.ByteBuffer;
import org.apache.arrow.memory.util.MemoryUtil;

/**
 * Checks once that Arrow Java can reach off-heap memory, which on Java 17 needs {@value #FLAG}; without it Arrow's
 * own error ("sun.misc.Unsafe or java.nio.DirectByteBuffer.<init>(long, int) not available") does not say what to
 * do. Thread-safe.
 */
public final class MemoryAccess {
  public static final String FLAG = "--add-opens=java.base/java.nio=org.apache.arrow.memory.core,ALL-UNNAMED";

  /** Once true, always true. */
  private static volatile boolean available;

  private MemoryAccess() {}

  /** Returns if Arrow memory works; throws an {@link IllegalStateException} naming the JVM flag otherwise. */
  public static void require() {
    if (available) return;
    try {
      MemoryUtil.getByteBufferAddress(ByteBuffer.allocateDirect(8)); // runs MemoryUtil's static checks
      available = true;
    } catch (RuntimeException | LinkageError e) {
      throw new IllegalStateException("Arrow Java cannot reach off-heap memory in this JVM (" + e + "); start the"
          + " JVM with " + FLAG + " (bin/pyworkers and the Maven build pass it; in another program add it to the java"
          + " command line or JDK_JAVA_OPTIONS)", e);
    }
  }
}
