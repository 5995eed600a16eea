package dev.pyworkers.internal.runner;

import dev.pyworkers.StallEvent;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.LoggerFactory;

/**
 * A runner's stall report settings: the interval ({@code warning}, zero is off) and who gets each {@link
 * StallEvent}. Immutable.
 */
public record StallSettings(Duration warning, Consumer<StallEvent> listener) {
  /** The logger of the default listener and of listener failures. */
  static final String LOGGER = "dev.pyworkers.PythonRunner";

  /** The default listener: one WARN per report. */
  public static final Consumer<StallEvent> LOG_LISTENER = e -> LoggerFactory.getLogger(LOGGER).warn(e.describe());
}
