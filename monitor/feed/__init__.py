"""The live terminal feed: safe (hostile text made inert), state (a snapshot from the store), render (pure
state → rich renderable), live (keys and the Live loop), runner (`monitor run`: pollers + feed)."""
