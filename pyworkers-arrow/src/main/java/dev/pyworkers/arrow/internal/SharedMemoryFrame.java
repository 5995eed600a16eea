package dev.pyworkers.arrow.internal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The two control frames of the shared-memory path (docs/protocol.md section 7.10), big-endian, kinds after those of
 * {@link ControlFrame} (so never {@code -1}, never the IPC continuation marker): SHM_FOLDER ({@code int} 4, {@code
 * long} threshold, the folder's absolute path in UTF-8) and SHM_BATCH ({@code int} 5, {@code long} offset, {@code
 * long} length, the file's name in ASCII). Stateless.
 */
public final class SharedMemoryFrame {
  public static final int FOLDER = 4;
  public static final int BATCH = 5;
  static final int FOLDER_HEAD = 12;
  static final int BATCH_HEAD = 20;
  static final int MAX_PATH = 4096;
  /** A name inside the task's folder, never a path: no '/', no leading '.', no "..". */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");

  private SharedMemoryFrame() {}

  /** An SHM_BATCH frame: where one record batch message is. */
  public record Batch(long offset, long length, String name) {}

  public static byte[] folder(long threshold, String path) {
    byte[] p = path.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(FOLDER_HEAD + p.length).putInt(FOLDER).putLong(threshold).put(p).array();
  }

  public static byte[] batch(long offset, long length, String name) {
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(BATCH_HEAD + n.length).putInt(BATCH).putLong(offset).putLong(length).put(n).array();
  }

  /** The kind of a shared-memory control frame, or 0 for any other frame. */
  public static int kindOf(byte[] frame) {
    if (frame.length < 4) return 0;
    int kind = ByteBuffer.wrap(frame).getInt(0);
    return kind == FOLDER || kind == BATCH ? kind : 0;
  }

  /** The SHM_BATCH frame's fields, or the rule it breaks (an {@link IllegalStateException} with its message). */
  public static Batch parseBatch(byte[] frame) {
    if (frame.length <= BATCH_HEAD) {
      throw new IllegalStateException("an SHM_BATCH frame of " + frame.length + " bytes is too short for its name"
          + " (at least " + (BATCH_HEAD + 1) + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(frame);
    long offset = b.getLong(4);
    long length = b.getLong(12);
    String name = new String(frame, BATCH_HEAD, frame.length - BATCH_HEAD, StandardCharsets.ISO_8859_1);
    if (!NAME.matcher(name).matches() || name.contains("..")) {
      throw new IllegalStateException("an SHM_BATCH frame names the file '" + name + "'; a shared-memory file name"
          + " is 1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.', without '..' or '/'");
    }
    if (offset < 0 || offset % 8 != 0 || length < 8 || length > Integer.MAX_VALUE) {
      throw new IllegalStateException("an SHM_BATCH frame has offset " + offset + " and length " + length
          + "; the offset must be >= 0 and a multiple of 8, the length 8.." + Integer.MAX_VALUE);
    }
    return new Batch(offset, length, name);
  }
}
