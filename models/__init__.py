"""The shipped circuits (one TOML file each); installed as the package data pcsim.models."""
