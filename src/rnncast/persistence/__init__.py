"""Run directories and checkpoints: plain files written atomically, read as untrusted."""
