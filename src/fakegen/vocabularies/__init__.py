"""Word lists shipped with fakegen for literal columns (data files only)."""
