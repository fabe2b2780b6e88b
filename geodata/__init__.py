"""Spatial data for hubplan: road networks, embedded Staffordshire data and travel-time matrices.

Everything here computes in a projected metric CRS (British National Grid,
EPSG:27700, for Great Britain). Only ``maps`` converts to WGS84.
"""
