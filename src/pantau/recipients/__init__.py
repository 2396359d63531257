"""Export layouts shipped with pantau, one TOML file per recipient (see `pantau.export`)."""
