"""What the report becomes: masking, views, writers of each format."""
