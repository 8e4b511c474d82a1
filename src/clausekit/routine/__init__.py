"""The monthly routine: configuration, plan, export dates, lock, history."""
