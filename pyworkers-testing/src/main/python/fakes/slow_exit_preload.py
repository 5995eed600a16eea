"""Preloaded into the daemon by DaemonInterruptTest: makes the daemon's interpreter exit slowly.

The daemon removes its socket file when it stops, then its interpreter runs this exit handler before the process
ends. That opens the window in which a fork finds the socket gone while the daemon is still alive.
"""
import atexit
import time

atexit.register(time.sleep, 2.0)
