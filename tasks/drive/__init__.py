"""drive: learning to drive a car through town, as a learner driver does in about twenty
hours of practice. Built so far: the car (``car``), a small hatchback in PyBullet whose
turning circle and braking distances are checked against published figures; the towns
(``town``): street grids from a seed with lanes, parking, traffic lights, parked and
moving cars' places, pedestrian crossings and a route, at three levels; the route as a path and a controller that drives it; the score (route completion times infraction penalties). The env (the
others moving by simple rules, the two interfaces, the score), its oracle and its
registration come next; until then this family registers no task (``embodied_bench.tasks``
does not import it), so nothing lists or runs it."""
