"""A worker that never reports its pid: forked by the daemon it hangs; run as a simple worker it never connects."""
import time


def serve_forked(sock, secret, auth_timeout_s, buffer_size):
    time.sleep(3600)
    return 0


if __name__ == "__main__":
    time.sleep(3600)
