"""A module without serve_forked, to check the daemon's start-up error."""
