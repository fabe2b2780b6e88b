"""Map reports of a plan: folium maps built from frames, with no solving and no file reading."""
