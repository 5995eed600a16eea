package dev.pyworkers.internal.bundle;

import java.io.IOException;

/** Two pyworkers jars on the class path hold the same Python file with different bytes. Immutable. */
final class BundleConflictException extends IOException {
  private static final long serialVersionUID = 1L;

  BundleConflictException(String message) {
    super(message);
  }
}
