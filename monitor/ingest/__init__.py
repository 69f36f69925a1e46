"""Intake: the polling engine, the schedulers, the importer and the classify-and-open pipeline."""
