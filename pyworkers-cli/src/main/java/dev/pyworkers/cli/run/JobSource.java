package dev.pyworkers.cli.run;

import java.nio.file.Path;

/**
 * The Python source text of a run's NON_UDF function: {@code job = pyworkers.jobs.make_job(FILE, FUNC, FORMAT,
 * allow_nan=..., max_record_bytes=...)}. The values travel as Python literals, so any path or name is passed exactly.
 * Stateless.
 */
public final class JobSource {
  /** The name the source defines. */
  public static final String FUNCTION = "job";

  private JobSource() {}

  public static String of(Path udfFile, String function, InputFormat format, RecordRules records) {
    return "from pyworkers.jobs import make_job\n"
        + FUNCTION + " = make_job(" + literal(udfFile.toAbsolutePath().normalize().toString()) + ", "
        + literal(function) + ", " + literal(format.pythonName()) + ", allow_nan="
        + (records.allowNan() ? "True" : "False") + ", max_record_bytes=" + records.maxRecordBytes() + ")\n";
  }

  /**
   * The source of a {@code --pandas} run: {@code job = pyworkers.jobs_pandas.make_pandas_job(FILE, FUNC, IN_FORMAT,
   * OUT_FORMAT, schema=..., arrow_path=...)}; {@code arrow_path} is IN for Arrow input, which the workers read
   * themselves.
   */
  public static String pandas(RunSettings s) {
    RunSettings.PandasSettings p = s.pandas();
    String arrowPath = s.format() == InputFormat.ARROW ? s.input().toAbsolutePath().normalize().toString() : "";
    return "from pyworkers.jobs_pandas import make_pandas_job\n"
        + FUNCTION + " = make_pandas_job(" + literal(s.udfFile().toAbsolutePath().normalize().toString()) + ", "
        + literal(s.function()) + ", " + literal(s.format().pythonName()) + ", " + literal(p.output().pythonName())
        + ", schema=" + literal(p.schema()) + ", arrow_path=" + literal(arrowPath) + ")\n";
  }

  /** A Python str literal of {@code s}: ASCII only, every other character escaped. */
  static String literal(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('\'');
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == '\\' || cp == '\'') sb.append('\\').append((char) cp);
      else if (cp >= 0x20 && cp < 0x7f) sb.append((char) cp);
      else if (cp <= 0xff) sb.append(String.format("\\x%02x", cp));
      else if (cp <= 0xffff) sb.append(String.format("\\u%04x", cp));
      else sb.append(String.format("\\U%08x", cp));
    }
    return sb.append('\'').toString();
  }
}
