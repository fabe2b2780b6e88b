"""The hubplan command line and the jobs behind it: scenarios, optimisation, evaluation."""
