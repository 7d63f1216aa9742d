"""Items drawn over the plots: the paint brush, predict-mode ghosts, the likelihood landscape
and membership lines."""
