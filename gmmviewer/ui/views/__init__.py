"""Views: the plots the controller pushes state into, and their colours and themes."""
