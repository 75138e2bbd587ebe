"""Scripts that copier's tasks run in a freshly generated project (see copier.yml)."""
