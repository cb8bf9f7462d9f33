"""Importers that turn other tools' exports into plain records for mlboard."""
