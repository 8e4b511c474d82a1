"""The vocabularies: schemas, exit rules, settings, report metrics, labels."""
