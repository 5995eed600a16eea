package dev.pyworkers.internal.evaltype.nonudf;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.RecordFormat;
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

/**
 * NON_UDF (docs/protocol.md section 5): {@code byte[]}, {@code String} or null records in, one frame each;
 * {@code func(partition_index, iterator)} in Python; records out as {@code byte[]} or (UTF-8) {@code String}.
 * Immutable; its exchanges hold no state.
 */
public final class NonUdfCodec implements EvalTypeCodec {
  /** The built-in Python handler. */
  public static final String HANDLER = "pyworkers.evaltypes.non_udf:HANDLER";
  private static final int PROGRESS_BYTES = 64 << 10;

  private final List<PythonFunction> chain;
  private final RecordFormat inputFormat;
  private final RecordFormat outputFormat;
  private final int outputBatchSize;

  private NonUdfCodec(List<PythonFunction> chain, RecordFormat inputFormat, RecordFormat outputFormat,
      int outputBatchSize) {
    this.chain = chain;
    this.inputFormat = inputFormat;
    this.outputFormat = outputFormat;
    this.outputBatchSize = outputBatchSize;
  }

  /** The chain {@code func(partition_index, iterator)}, innermost first (1 to 100 functions). */
  public static NonUdfCodec of(List<PythonFunction> chain, RecordFormat inputFormat, RecordFormat outputFormat,
      int outputBatchSize) {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("NON_UDF needs at least one function; call nonUdf(f...)");
    }
    if (chain.size() > 100) {
      throw new IllegalArgumentException("NON_UDF chains at most 100 functions, got " + chain.size());
    }
    return new NonUdfCodec(List.copyOf(chain), inputFormat, outputFormat, outputBatchSize);
  }

  @Override
  public EvalType evalType() {
    return EvalType.NON_UDF;
  }

  @Override
  public String handler() {
    return HANDLER;
  }

  @Override
  public List<PythonFunction> functions() {
    return chain;
  }

  /** The chain, input serializer, output serializer, output batch size. */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    Commands.writeChain(out, chain);
    out.writeByte(inputFormat.code());
    out.writeByte(outputFormat.code());
    out.writeInt(outputBatchSize);
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new Exchange(outputFormat == RecordFormat.UTF8);
  }

  /** One task's records. Stateless: each side only touches its own argument. */
  private static final class Exchange implements TaskExchange {
    private final boolean utf8;

    Exchange(boolean utf8) {
      this.utf8 = utf8;
    }

    @Override
    public void writeInput(TaskInput input) throws IOException {
      long n = 0;
      long unmarked = 0; // bytes written since the last progress mark
      while (input.hasNext()) {
        Object r = input.next();
        if (r == null) {
          input.writeNull();
        } else {
          byte[] b = r instanceof byte[] bytes ? bytes
              : r instanceof String s ? s.getBytes(StandardCharsets.UTF_8)
              : null;
          if (b == null) {
            throw new IllegalArgumentException("record " + n + " of partition " + input.partition() + " is a "
                + r.getClass().getName() + "; NON_UDF input records must be byte[], String or null");
          }
          input.writeFrame(b, 0, b.length);
          unmarked += b.length;
        }
        input.recordsIn(++n);
        // every 1024 records, or sooner for large ones, so a worker that reads big records without answering yet
        // is not taken for stalled
        if ((n & 1023) == 0 || unmarked >= PROGRESS_BYTES) {
          input.progress();
          unmarked = 0;
        }
      }
    }

    @Override
    public void onFrame(byte[] frame, TaskOutput output) {
      output.emit(utf8 ? new String(frame, StandardCharsets.UTF_8) : frame);
    }

    @Override
    public void onNull(TaskOutput output) {
      output.emit(null);
    }
  }
}
