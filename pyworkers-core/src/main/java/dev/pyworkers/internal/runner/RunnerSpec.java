package dev.pyworkers.internal.runner;

import dev.pyworkers.spi.EvalTypeCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything a runner fixes for all its tasks: its eval type's codec with the command it wrote once, and the settings
 * of the generic task lifecycle. Immutable (the command array is never handed out).
 *
 * @param command the codec's command, as {@link #command(EvalTypeCodec)} wrote it
 * @param taskIdleTimeout zero: off
 * @param faulthandlerDir null: off
 * @param settings the typed task settings of every task's header
 */
public record RunnerSpec(
    EvalTypeCodec codec,
    byte[] command,
    Duration killTimeout,
    Duration taskIdleTimeout,
    Map<String, String> conf,
    String filesFolder,
    List<Path> localDirs,
    Path faulthandlerDir,
    int bufferSize,
    TaskSettings settings) {

  /** Bound of a command (docs/protocol.md section 5.1), as of a data frame. */
  public static final int MAX_COMMAND = 1 << 30;

  /** The codec's command bytes; fails naming the eval type when the codec cannot write it or it is too long. */
  public static byte[] command(EvalTypeCodec codec) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      codec.writeCommand(out);
    } catch (IOException e) {
      throw new UncheckedIOException("the codec of eval type " + codec.evalType() + " could not write its command: "
          + e.getMessage(), e);
    }
    if (bytes.size() > MAX_COMMAND) {
      throw new IllegalArgumentException("the command of eval type " + codec.evalType() + " is " + bytes.size()
          + " bytes, over the max of " + MAX_COMMAND + "; ship large data as broadcasts or files instead");
    }
    return bytes.toByteArray();
  }
}
