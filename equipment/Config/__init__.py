"""Configuration: `.env` plus `config/*.{ini,yaml,json}` with `${VAR:default}` interpolation."""
