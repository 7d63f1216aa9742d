"""The window and its one controller: layout, actions, file operations, teaching tools,
and the worker threads that run steps and long work."""
