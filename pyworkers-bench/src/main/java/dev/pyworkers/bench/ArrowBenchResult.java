package dev.pyworkers.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one {@link ArrowBenchmark} run measured: its table and its one-line JSON. Immutable.
 *
 * @param python the interpreter the worker and the in-process loop ran
 * @param pythonVersion its version
 * @param rows values per task
 * @param batchRows rows per Arrow batch
 * @param repeat timed tasks per case
 * @param pandasScalarRowsPerSecond SQL_SCALAR_PANDAS_UDF {@code s + 1}, rows/s
 * @param rowPathRowsPerSecond the same function through SQL_BATCHED_UDF, rows/s
 * @param inProcessPandasRowsPerSecond the same pandas function in one plain Python process, rows/s
 * @param identityGbPerSecond eight identity UDFs over 4 int64 and 4 float64 columns: data bytes (one way) per second,
 *     in 10^9 bytes
 * @param groups groups in the grouped map cases
 * @param groupedMapPandasMicrosPerGroup applyInPandas (201) with an identity function, microseconds per group
 * @param groupedMapArrowMicrosPerGroup applyInArrow (209) with an identity function, microseconds per group
 */
public record ArrowBenchResult(String python, String pythonVersion, long rows, int batchRows, int repeat,
    double pandasScalarRowsPerSecond, double rowPathRowsPerSecond, double inProcessPandasRowsPerSecond,
    double identityGbPerSecond, int groups, double groupedMapPandasMicrosPerGroup,
    double groupedMapArrowMicrosPerGroup) implements BenchReport {
  /** Issue 10's goals. */
  static final double ARROW_VS_ROW_GOAL = 10;
  static final double IDENTITY_GB_S_GOAL = 2.0;
  static final double GROUPED_PANDAS_US_GOAL = 100;
  static final double GROUPED_ARROW_US_GOAL = 30;

  public double arrowVsRowPath() {
    return pandasScalarRowsPerSecond / rowPathRowsPerSecond;
  }

  public double vsInProcess() {
    return pandasScalarRowsPerSecond / inProcessPandasRowsPerSecond;
  }

  @Override
  public List<String> tableLines() {
    List<String> lines = new ArrayList<>();
    lines.add("pyworkers bench arrow: one pooled worker, " + rows + " rows per task in batches of " + batchRows
        + ", median of " + repeat + " timed tasks per case");
    lines.add("python     " + python + " (Python " + pythonVersion + ")");
    lines.add("");
    lines.add(String.format(Locale.ROOT, "%-52s %14.0f rows/s", "SQL_SCALAR_PANDAS_UDF s + 1", pandasScalarRowsPerSecond));
    lines.add(String.format(Locale.ROOT, "%-52s %14.0f rows/s", "SQL_BATCHED_UDF x + 1 (the row path)", rowPathRowsPerSecond));
    lines.add(String.format(Locale.ROOT, "%-52s %14.0f rows/s", "pandas s + 1 in one Python process (the limit)",
        inProcessPandasRowsPerSecond));
    lines.add(String.format(Locale.ROOT, "%-52s %14.3f GB/s", "identity, 4 int64 + 4 float64 columns", identityGbPerSecond));
    lines.add(String.format(Locale.ROOT, "%-52s %14.1f us/group", "applyInPandas identity, " + groups + " groups of "
        + ArrowBenchOptions.GROUP_ROWS + " rows", groupedMapPandasMicrosPerGroup));
    lines.add(String.format(Locale.ROOT, "%-52s %14.1f us/group", "applyInArrow identity, same groups",
        groupedMapArrowMicrosPerGroup));
    lines.add("");
    lines.add(String.format(Locale.ROOT, "arrow vs row path: %.1fx (goal >= %.0f): %s", arrowVsRowPath(), ARROW_VS_ROW_GOAL,
        arrowVsRowPath() >= ARROW_VS_ROW_GOAL ? "met" : "NOT met"));
    lines.add(String.format(Locale.ROOT, "pandas scalar vs in-process pandas: %.3f", vsInProcess()));
    lines.add(String.format(Locale.ROOT, "identity %.3f GB/s (goal >= %.1f): %s", identityGbPerSecond, IDENTITY_GB_S_GOAL,
        identityGbPerSecond >= IDENTITY_GB_S_GOAL ? "met" : "NOT met"));
    lines.add(String.format(Locale.ROOT, "applyInPandas %.1f us/group (goal <= %.0f): %s", groupedMapPandasMicrosPerGroup,
        GROUPED_PANDAS_US_GOAL, groupedMapPandasMicrosPerGroup <= GROUPED_PANDAS_US_GOAL ? "met" : "NOT met"));
    lines.add(String.format(Locale.ROOT, "applyInArrow %.1f us/group (goal <= %.0f): %s", groupedMapArrowMicrosPerGroup,
        GROUPED_ARROW_US_GOAL, groupedMapArrowMicrosPerGroup <= GROUPED_ARROW_US_GOAL ? "met" : "NOT met"));
    return lines;
  }

  @Override
  public String toJson() {
    return String.format(Locale.ROOT,
        "{\"pandas_scalar_rows_s\":%.0f,\"row_path_rows_s\":%.0f,\"arrow_vs_row_path\":%.2f,"
            + "\"inprocess_pandas_rows_s\":%.0f,\"vs_inprocess\":%.3f,\"identity_gb_s\":%.3f,"
            + "\"grouped_map_pandas_us_per_group\":%.1f,\"grouped_map_arrow_us_per_group\":%.1f,\"rows\":%d,"
            + "\"batch_rows\":%d,\"groups\":%d,\"repeat\":%d,\"python\":%s}",
        pandasScalarRowsPerSecond, rowPathRowsPerSecond, arrowVsRowPath(), inProcessPandasRowsPerSecond, vsInProcess(),
        identityGbPerSecond, groupedMapPandasMicrosPerGroup, groupedMapArrowMicrosPerGroup, rows, batchRows, groups,
        repeat, AcquireResult.jsonString(python));
  }
}
