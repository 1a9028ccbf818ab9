"""Demo and sample-data generators: never imported by runtime modules."""
