package dev.pyworkers.internal.runner;

import dev.pyworkers.EvalType;
import dev.pyworkers.PythonFunction;
import dev.pyworkers.PythonUdf;
import dev.pyworkers.RecordFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything a runner fixes for all its tasks. Immutable.
 *
 * @param functions NON_UDF: the chain, innermost first; empty for SQL_BATCHED_UDF
 * @param udfs SQL_BATCHED_UDF: the UDFs; empty for NON_UDF
 * @param taskIdleTimeout zero: off
 * @param faulthandlerDir null: off
 * @param settings the typed task settings of every task's header
 */
public record RunnerSpec(
    EvalType evalType,
    List<PythonFunction> functions,
    List<PythonUdf> udfs,
    RecordFormat inputFormat,
    RecordFormat outputFormat,
    int outputBatchSize,
    int batchSize,
    Duration killTimeout,
    Duration taskIdleTimeout,
    Map<String, String> conf,
    String filesFolder,
    List<Path> localDirs,
    Path faulthandlerDir,
    int bufferSize,
    TaskSettings settings) {

  /**
   * The one row column every UDF reads when there is exactly one (row layout 2: the JVM sends that column's bare
   * values and every offset becomes 0); -1 when rows go as tuples (layout 1).
   */
  public int bareColumn() {
    if (evalType != EvalType.SQL_BATCHED_UDF) return -1;
    int column = -1;
    for (PythonUdf u : udfs) {
      for (int o : u.argOffsets()) {
        if (column == -1) column = o;
        else if (column != o) return -1;
      }
    }
    return column;
  }

  /** Every function the runner ships, in wire order. */
  public List<PythonFunction> allFunctions() {
    if (evalType == EvalType.NON_UDF) return functions;
    return udfs.stream().flatMap(u -> u.chain().stream()).toList();
  }
}
