"""The shipped scenarios (one TOML file each); installed as the package data pcsim.scenarios."""
