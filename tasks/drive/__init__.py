"""drive: learning to drive a car through town, as a learner driver does in about twenty
hours of practice. Built so far: the car (``car``), a small hatchback in PyBullet whose
turning circle and braking distances are checked against published figures. The towns,
the two interfaces and their registration come next; until then this family registers no
task (``embodied_bench.tasks`` does not import it), so nothing lists or runs it."""
