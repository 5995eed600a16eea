package dev.pyworkers.cli.run;

import java.util.regex.Pattern;

/**
 * Cuts a worker's main-thread stack (faulthandler's form, most recent call first) to what a user of {@code pyworkers
 * run} needs: FUNC's frames and those it called, without the thread header and the frames of pyworkers itself below
 * FUNC. Stateless.
 */
final class FuncTraceback {
  private static final Pattern HEADER = Pattern.compile("^(Current thread|Thread) 0x[0-9a-fA-F]+.*");
  private static final Pattern PYWORKERS_FRAME =
      Pattern.compile("^  File \".*[/\\\\]pyworkers[/\\\\](jobs|jobs_pandas|serializers|task|worker|daemon|_process)\\.py\", line .*");

  private FuncTraceback() {}

  static String of(String mainThreadStack) {
    StringBuilder sb = new StringBuilder();
    int hidden = 0;
    for (String line : mainThreadStack.split("\n")) {
      if (HEADER.matcher(line).matches()) continue;
      if (hidden > 0 || PYWORKERS_FRAME.matcher(line).matches()) {
        hidden++;
        continue;
      }
      sb.append(sb.length() == 0 ? "" : "\n").append(line);
    }
    if (sb.length() == 0) return mainThreadStack.strip();
    if (hidden > 0) sb.append("\n  (").append(hidden).append(" frames of pyworkers itself below FUNC)");
    return sb.toString();
  }
}
