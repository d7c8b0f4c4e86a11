"""Forms: where input is parsed and validated, a module per domain. Errors carry a code and
sit next to their field."""
