"""Workflows as data: YAML workflow definitions, their safe condition language, and their compilation."""
