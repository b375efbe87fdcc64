"""Streets, sites, snapping and travel matrices from real OpenStreetMap data.

Everything inside works in a metric CRS (UTM chosen from the data); WGS84 ``[lon, lat]`` at every
boundary (files in, JSON out).
"""
