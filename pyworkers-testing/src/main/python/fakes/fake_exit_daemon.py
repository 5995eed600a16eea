"""A daemon that writes a line to stderr and exits with code 7 during start."""
import sys

sys.stderr.write("fake daemon giving up on purpose\n")
sys.exit(7)
