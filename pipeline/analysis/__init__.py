"""The pure analysis core: baseline → compiled matcher → findings for one item at a time."""
