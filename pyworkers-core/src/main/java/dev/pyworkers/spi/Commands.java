package dev.pyworkers.spi;

import dev.pyworkers.PythonFunction;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes the pieces of a command the way the Python side's readers ({@code pyworkers.evaltypes}: {@code read_str},
 * {@code read_chain}, ...) read them (docs/protocol.md section 5.1). Stateless.
 */
public final class Commands {
  private Commands() {}

  /** A {@code str}: {@code int} length, then UTF-8. */
  public static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  /** {@code int} n, then n × (key, value) {@code str}s. */
  public static void writeStringMap(DataOutputStream out, Map<String, String> map) throws IOException {
    out.writeInt(map.size());
    for (Map.Entry<String, String> e : map.entrySet()) {
      writeString(out, e.getKey());
      writeString(out, e.getValue());
    }
  }

  /** One function ({@code fn}): its kind, then its payload, reference or source. */
  public static void writeFunction(DataOutputStream out, PythonFunction f) throws IOException {
    out.writeByte(f.kind().code());
    switch (f.kind()) {
      case CLOUDPICKLE -> {
        byte[] p = f.pickled();
        out.writeInt(p.length);
        out.write(p);
      }
      case REFERENCE -> writeString(out, f.text());
      case SOURCE -> {
        writeString(out, "<udf " + f.functionName() + ">");
        writeString(out, f.text());
        writeString(out, f.functionName());
      }
    }
  }

  /** A chain: {@code int} n (1..100), then n functions, innermost first. */
  public static void writeChain(DataOutputStream out, List<PythonFunction> chain) throws IOException {
    out.writeInt(chain.size());
    for (PythonFunction f : chain) writeFunction(out, f);
  }
}
