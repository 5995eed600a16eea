package dev.pyworkers.internal.runner;

import dev.pyworkers.TaskContext;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Writes the task header of docs/protocol.md section 5.1: the common part, then the eval type's block. Stateless. */
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
    strMap(out, spec.conf());
    // the eval type's block: number, handler, command (length-prefixed, so a worker that cannot load the handler
    // can still skip it and fail only the task)
    out.writeInt(spec.codec().evalType().code());
    str(out, spec.codec().handler());
    out.writeInt(spec.command().length);
    out.write(spec.command());
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
