"""Optimisation models of hubplan: matrices in, plans out (no files, no geometry).

The entry points are :func:`models.coverage.solve_double_standard` (deployment
locations around bases, Grade 1 then Grade 2 cover),
:func:`models.coverage.solve_single_standard` (classic maximal covering) and,
in :mod:`models.budget`, the operations leads' questions: cover for a total
number of locations (:func:`~models.budget.solve_location_budget`,
:func:`~models.budget.coverage_curve`) and the fewest locations for a Grade 1
target (:func:`~models.budget.solve_min_locations`);
:func:`models.evaluate.evaluate_plan` re-evaluates any plan independently.
"""
