"""Maps, driver route sheets and exports for people to read."""
