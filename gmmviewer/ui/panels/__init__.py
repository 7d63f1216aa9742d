"""Side panels: controls, point inspector, comparison, column chooser."""
