package dev.pyworkers.internal.runner;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.ReturnType;
import dev.pyworkers.TaskContext;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Writes the task header of docs/protocol.md section 5.1. Stateless. */
final class TaskHeader {
  private TaskHeader() {}

  record Broadcasts(List<Long> removed, Map<Long, String> added) {}

  static void write(DataOutputStream out, int partitionIndex, String pythonVersion, TaskContext ctx,
      RunnerSpec spec, List<String> includes, Broadcasts broadcasts) throws IOException {
    out.writeInt(partitionIndex);
    str(out, pythonVersion);
    out.writeInt(ctx.stageId());
    out.writeInt(ctx.partitionId());
    out.writeInt(ctx.attemptNumber());
    out.writeLong(ctx.taskAttemptId());
    out.writeInt(ctx.cpus());
    out.writeInt(ctx.resources().size());
    for (Map.Entry<String, List<String>> r : ctx.resources().entrySet()) {
      str(out, r.getKey());
      out.writeInt(r.getValue().size());
      for (String a : r.getValue()) str(out, a);
    }
    strMap(out, ctx.localProperties());
    str(out, spec.filesFolder());
    str(out, spec.faulthandlerDir() == null ? "" : spec.faulthandlerDir().toString());
    spec.settings().write(out);
    out.writeInt(includes.size());
    for (String i : includes) str(out, i);
    out.writeInt(broadcasts.removed().size());
    for (long id : broadcasts.removed()) out.writeLong(id);
    out.writeInt(broadcasts.added().size());
    for (Map.Entry<Long, String> b : broadcasts.added().entrySet()) {
      out.writeLong(b.getKey());
      str(out, b.getValue());
    }
    out.writeInt(spec.evalType().code());
    strMap(out, spec.conf());
    if (spec.evalType() == EvalType.NON_UDF) {
      chain(out, spec.functions());
      out.writeByte(spec.inputFormat().code());
      out.writeByte(spec.outputFormat().code());
      out.writeInt(spec.outputBatchSize());
    } else {
      boolean bare = spec.bareColumn() >= 0;
      out.writeInt(spec.udfs().size());
      for (PythonUdf udf : spec.udfs()) {
        int[] offsets = udf.argOffsets();
        out.writeInt(offsets.length);
        for (int o : offsets) out.writeInt(bare ? 0 : o);
        chain(out, udf.chain());
      }
      out.writeByte(bare ? 2 : 1);
      out.writeByte(int64Results(spec) ? 2 : 1);
    }
  }

  /**
   * Result layout 2: the one UDF returns {@link ReturnType#LONG}, so the worker may send a batch of int-like results
   * as raw 64-bit ints (the typed form of protocol section 5.2) instead of one pickle opcode per value.
   */
  private static boolean int64Results(RunnerSpec spec) {
    return spec.udfs().size() == 1 && spec.udfs().get(0).returnType() == ReturnType.LONG;
  }

  private static void chain(DataOutputStream out, List<PythonFunction> chain) throws IOException {
    out.writeInt(chain.size());
    for (PythonFunction f : chain) {
      out.writeByte(f.kind().code());
      switch (f.kind()) {
        case CLOUDPICKLE -> {
          byte[] p = f.pickled();
          out.writeInt(p.length);
          out.write(p);
        }
        case REFERENCE -> str(out, f.text());
        case SOURCE -> {
          str(out, "<udf " + f.functionName() + ">");
          str(out, f.text());
          str(out, f.functionName());
        }
      }
    }
  }

  private static void strMap(DataOutputStream out, Map<String, String> map) throws IOException {
    out.writeInt(map.size());
    for (Map.Entry<String, String> e : map.entrySet()) {
      str(out, e.getKey());
      str(out, e.getValue());
    }
  }

  static void str(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }
}
