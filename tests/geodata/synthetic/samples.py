"""Sizes shared by the synthetic incident tests."""

#: Incidents in the large draw (``large`` in conftest.py): enough for shares to within about 0.003.
N_LARGE = 200_000
