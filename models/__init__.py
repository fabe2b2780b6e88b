"""Optimisation models of hubplan: matrices in, plans out (no files, no geometry).

The entry points are :func:`models.coverage.solve_double_standard` (deployment
locations around bases, Grade 1 then Grade 2 cover) and
:func:`models.coverage.solve_single_standard` (classic maximal covering);
:func:`models.evaluate.evaluate_plan` re-evaluates any plan independently.
"""
