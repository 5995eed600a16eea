package dev.pyworkers.internal.evaltype.batched;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.PythonWorkerException;
import dev.pyworkers.ReturnType;
import dev.pyworkers.internal.pickle.FastPickle;
import dev.pyworkers.internal.pickle.JavaValues;
import dev.pyworkers.internal.pickle.ResultConverter;
import dev.pyworkers.internal.pickle.ValuePickler;
import dev.pyworkers.internal.pickle.ValueUnpickler;
import dev.pyworkers.internal.protocol.ResultLayout;
import dev.pyworkers.internal.protocol.RowLayout;
import dev.pyworkers.spi.Commands;
import dev.pyworkers.spi.EvalTypeCodec;
import dev.pyworkers.spi.TaskExchange;
import dev.pyworkers.spi.TaskInfo;
import dev.pyworkers.spi.TaskInput;
import dev.pyworkers.spi.TaskOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import net.razorvine.pickle.Pickler;
import net.razorvine.pickle.Unpickler;

/**
 * SQL_BATCHED_UDF (docs/protocol.md section 5): rows ({@code Object[]}) in, pickled in batches (FastPickle's forms
 * where they apply); each UDF called per row in Python; each batch of results converted to the UDFs'
 * {@link ReturnType}s. Row layout 2 (bare values) when every UDF reads one and the same column; result layout 2 (raw
 * 64-bit ints) for one UDF returning {@link ReturnType#LONG}. Immutable; each exchange holds its task's batch sizes.
 */
public final class BatchedUdfCodec implements EvalTypeCodec {
  /** The built-in Python handler. */
  public static final String HANDLER = "pyworkers.evaltypes.batched:HANDLER";

  private final List<PythonUdf> udfs;
  private final List<PythonFunction> functions;
  private final int batchSize;
  /** The one column every UDF reads (row layout 2), or -1 (tuples, layout 1). */
  private final int bareColumn;

  private BatchedUdfCodec(List<PythonUdf> udfs, int batchSize) {
    this.udfs = udfs;
    this.functions = udfs.stream().flatMap(u -> u.chain().stream()).toList();
    this.batchSize = batchSize;
    this.bareColumn = bareColumn(udfs);
  }

  /** 1 to 1000 UDFs, evaluated in one pass over each row; {@code batchSize} rows per pickled input batch. */
  public static BatchedUdfCodec of(List<PythonUdf> udfs, int batchSize) {
    if (udfs.isEmpty() || udfs.size() > 1000) {
      throw new IllegalArgumentException("SQL_BATCHED_UDF needs 1 to 1000 UDFs, got " + udfs.size()
          + "; call udf(...) or udfs(...)");
    }
    return new BatchedUdfCodec(List.copyOf(udfs), batchSize);
  }

  /**
   * The one row column every UDF reads when there is exactly one (row layout 2: the JVM sends that column's bare
   * values and every offset becomes 0); -1 when rows go as tuples (layout 1).
   */
  private static int bareColumn(List<PythonUdf> udfs) {
    int column = -1;
    for (PythonUdf u : udfs) {
      for (int o : u.argOffsets()) {
        if (column == -1) column = o;
        else if (column != o) return -1;
      }
    }
    return column;
  }

  @Override
  public EvalType evalType() {
    return EvalType.SQL_BATCHED_UDF;
  }

  @Override
  public String handler() {
    return HANDLER;
  }

  @Override
  public List<PythonFunction> functions() {
    return functions;
  }

  /** The UDFs (offsets and chains), the row layout and the result layout. */
  @Override
  public void writeCommand(DataOutputStream out) throws IOException {
    boolean bare = bareColumn >= 0;
    out.writeInt(udfs.size());
    for (PythonUdf udf : udfs) {
      int[] offsets = udf.argOffsets();
      out.writeInt(offsets.length);
      for (int o : offsets) out.writeInt(bare ? 0 : o);
      Commands.writeChain(out, udf.chain());
    }
    out.writeByte((bare ? RowLayout.BARE : RowLayout.TUPLES).code());
    out.writeByte((int64Results() ? ResultLayout.INT64 : ResultLayout.PICKLED).code());
  }

  /**
   * Result layout 2: the one UDF returns {@link ReturnType#LONG}, so the worker may send a batch of int-like results
   * as raw 64-bit ints (the typed form of protocol section 5.2) instead of one pickle opcode per value.
   */
  private boolean int64Results() {
    return udfs.size() == 1 && ReturnType.LONG.equals(udfs.get(0).returnType());
  }

  @Override
  public TaskExchange newExchange(TaskInfo task) {
    return new Exchange();
  }

  /**
   * One task's batches. The writer thread adds each batch's row count to a queue; the reader takes one per result
   * frame, so a frame with the wrong number of results, or a task that ends with a batch unanswered, is caught.
   */
  private final class Exchange implements TaskExchange {
    private final ConcurrentLinkedQueue<Integer> batchSizes = new ConcurrentLinkedQueue<>();
    private final Unpickler unpickler = new ValueUnpickler();

    @Override
    public void writeInput(TaskInput input) throws IOException {
      FastPickle fast = new FastPickle();
      Pickler pickler = new ValuePickler();
      List<Object> batch = new ArrayList<>(batchSize);
      int bare = bareColumn;
      long n = 0;
      while (input.hasNext()) {
        Object r = input.next();
        if (!(r instanceof Object[] row)) {
          throw new IllegalArgumentException("row " + n + " of partition " + input.partition() + " is "
              + (r == null ? "null" : "a " + r.getClass().getName()) + "; SQL_BATCHED_UDF rows must be Object[]");
        }
        if (bare < 0) {
          batch.add(JavaValues.row(row, n));
        } else if (bare < row.length) {
          batch.add(JavaValues.value(row[bare], n, bare));
        } else {
          throw new IllegalArgumentException("row " + n + " of partition " + input.partition() + " has "
              + row.length + " column(s) but a UDF reads column " + bare);
        }
        n++;
        if (batch.size() == batchSize) {
          flushBatch(input, fast, pickler, batch);
          input.recordsIn(n);
        }
      }
      if (!batch.isEmpty()) flushBatch(input, fast, pickler, batch);
      input.recordsIn(n);
    }

    private void flushBatch(TaskInput input, FastPickle fast, Pickler pickler, List<Object> batch)
        throws IOException {
      batchSizes.add(batch.size());
      if (fast.encodeList(batch)) {
        input.writeFrame(fast.buffer(), 0, fast.length());
      } else {
        byte[] pickled;
        try {
          pickled = pickler.dumps(batch);
        } catch (net.razorvine.pickle.PickleException e) {
          throw new IllegalArgumentException("a batch of partition " + input.partition() + " cannot be pickled: "
              + e.getMessage(), e);
        }
        input.writeFrame(pickled, 0, pickled.length);
      }
      batch.clear();
      input.progress();
    }

    @Override
    public void onFrame(byte[] frame, TaskOutput output) throws IOException {
      List<Object> fast = FastPickle.tryDecode(frame);
      Object batch = fast != null ? fast : unpickleResults(frame, output);
      if (!(batch instanceof List<?> results)) {
        throw output.protocolError("SQL_BATCHED_UDF output frame holds a " + batch.getClass().getSimpleName()
            + ", not a list");
      }
      Integer queued = batchSizes.poll();
      int expected = queued == null ? -1 : queued;
      if (results.size() != expected) {
        throw output.protocolError("Python returned " + results.size() + " results for a batch of " + expected
            + " rows");
      }
      int width = udfs.size();
      for (Object r : results) {
        long row = output.resultsOut();
        if (width == 1) {
          PythonUdf udf = udfs.get(0);
          output.emit(ResultConverter.convert(r, udf.returnType(), udf.onMismatch(), 0, row));
        } else {
          if (!(r instanceof Object[] t) || t.length != width) {
            throw output.protocolError("row " + row + " result is not a tuple of " + width + " values");
          }
          Object[] out = new Object[t.length];
          for (int i = 0; i < t.length; i++) {
            out[i] = ResultConverter.convert(t[i], udfs.get(i).returnType(), udfs.get(i).onMismatch(), i, row);
          }
          output.emit(out);
        }
      }
    }

    /** A pickled batch of results through the task's unpickler; what it cannot read names the task. */
    private Object unpickleResults(byte[] frame, TaskOutput output) throws IOException {
      try {
        return unpickler.loads(frame);
      } catch (net.razorvine.pickle.PickleException e) {
        throw new PythonWorkerException("a batch of results of partition " + output.partition()
            + " from Python worker pid " + output.workerPid() + " cannot be read: " + e.getMessage(), e);
      }
    }

    @Override
    public void onNull(TaskOutput output) {
      throw output.protocolError("NULL frame (-5) is only valid for NON_UDF output");
    }

    @Override
    public String unanswered() {
      Integer rows = batchSizes.poll();
      if (rows == null) return null;
      return "Python ended the task without answering every input batch (one of " + rows
          + " rows and any after it); no result was returned for them";
    }
  }
}
