package dev.pyworkers.it.evaltype;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.spi.Commands;
import dev.pyworkers.spi.EvalTypeCodec;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import dev.pyworkers.spi.TaskOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * A third eval type, PWIT_PREFIX (9000), built only on {@code dev.pyworkers} and {@code dev.pyworkers.spi}: each
 * input {@code String} goes as one UTF-8 frame; the Python handler ({@code pwit_evaltype.handler}) answers
 * {@code prefix + f(s)} per record, then its own marker {@value #COUNT_MARKER} with the number of records it answered,
 * which the exchange checks at the end. Immutable.
 */
public final class PrefixCodec implements EvalTypeCodec {
  public static final EvalType PWIT_PREFIX = EvalType.of(9000, "PWIT_PREFIX");
  public static final String HANDLER = "pwit_evaltype.handler:HANDLER";
  /** The handler's own marker: {@code int -6}, then {@code int} the number of records it answered. */
  static final int COUNT_MARKER = -6;

  private final String handler;
  private final String prefix;
  private final PythonFunction function;

  public PrefixCodec(String handler, String prefix, PythonFunction function) {
    this.handler = Objects.requireNonNull(handler, "handler");
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    this.function = Objects.requireNonNull(function, "function");
  }

  /** With the handler bundled in this module's jar. */
  public static PrefixCodec of(String prefix, PythonFunction function) {
    return new PrefixCodec(HANDLER, prefix, function);
  }

  @Override
  public EvalType evalType() {
    return PWIT_PREFIX;
  }

  @Override
  public String handler() {
    return handler;
  }

  @Override
  public List<PythonFunction> functions() {
    return List.of(function);
  }

  /** {@code str} prefix, then the chain of the one function. */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    Commands.writeString(out, prefix);
    Commands.writeChain(out, List.of(function));
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new Exchange();
  }

  /** One task: the writer counts what it sent, the reader what came back and what the handler said it answered. */
  private static final class Exchange implements TaskExchange {
    private volatile long sent;
    private long reported = -1;

    @Override
    public void writeInput(TaskInput input) throws IOException {
      long n = 0;
      while (input.hasNext()) {
        Object r = input.next();
        if (!(r instanceof String s)) {
          throw new IllegalArgumentException("record " + n + " of partition " + input.partition() + " is "
              + (r == null ? "null" : "a " + r.getClass().getName()) + "; PWIT_PREFIX input records must be String");
        }
        input.writeFrame(s.getBytes(StandardCharsets.UTF_8));
        sent = ++n;
        input.recordsIn(n);
        input.progress();
      }
    }

    @Override
    public void onFrame(byte[] frame, TaskOutput output) {
      output.emit(new String(frame, StandardCharsets.UTF_8));
    }

    @Override
    public boolean onMarker(int marker, TaskOutput output) throws IOException {
      if (marker != COUNT_MARKER) return false;
      reported = output.readInt();
      return true;
    }

    @Override
    public String unanswered() {
      if (reported == sent) return null;
      return "the PWIT_PREFIX handler reported " + reported + " answered records, but " + sent + " were sent";
    }
  }
}
