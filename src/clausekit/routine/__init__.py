"""The monthly routine: configuration, run plan, lock, history."""
