"""Exporters: plot images (PNG, SVG), snapshot strips and animations."""
