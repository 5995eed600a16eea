package dev.pyworkers;

/** The local socket kind between the JVM and its Python workers. Never a non-loopback address. */
public enum Transport {
  /** Unix domain sockets where the OS has them for both Java and Python, loopback TCP otherwise. */
  AUTO,
  /** A Unix domain socket in a private (0700) folder. */
  UNIX,
  /** Loopback TCP: {@code 127.0.0.1}, or {@code ::1} when IPv6 is preferred. */
  TCP;

  /** The concrete transport that {@link #AUTO} stands for on this OS. */
  Transport resolve() {
    if (this != AUTO) return this;
    return WorkerMode.isWindows() ? TCP : UNIX;
  }
}
