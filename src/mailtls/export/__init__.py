"""Renderers: results in, text out. They read the model and the catalogue only."""
