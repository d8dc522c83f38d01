"""Files on disk: atomic writes, the runs folder, model files, share links."""
