"""Drawing helpers: functions that take an Axes and arrays, return artists, and update them in place."""
