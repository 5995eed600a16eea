"""A preload module that starts a helper process (``sleep 1000``) in the daemon before it serves, and says its pid."""
import subprocess
import sys

HELPER = subprocess.Popen(["sleep", "1000"])
sys.stderr.write("pwfake_preload_spawner started helper pid %d\n" % HELPER.pid)
sys.stderr.flush()
