"""drive: learning to drive a car through town, as a learner driver does in about twenty
hours of practice. Built so far, each module tested on its own:

* ``car``: a small hatchback in PyBullet whose turning circle and braking distances are
  checked against published figures;
* ``town``: street grids from a seed with lanes, parking, traffic lights, where parked
  cars, other cars and crossing pedestrians are, and a route, at three levels;
* ``route``: the route as a path through the lanes, and a controller that drives it;
* ``others``: the other cars and pedestrians, moved by simple rules;
* ``score``: route completion times the penalty of each infraction.

Not built yet: the env (the two interfaces, observations, infractions and guardrail
cost), its oracle (the path follower obeying lights and giving way), town validation by
that oracle, and the registration. Until then this family
registers no task (``embodied_bench.tasks`` does not import it), so nothing lists or runs
it."""
