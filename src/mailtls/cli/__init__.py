"""Command line: argument parsing and terminal output only. Nothing imports cli."""
