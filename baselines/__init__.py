"""Reference agents, registered by name (lazy: nothing heavy is imported until used)."""

from embodied_bench.registry import AGENTS

AGENTS.register("random", "embodied_bench.baselines.random_agent:RandomAgent")
AGENTS.register("scripted", "embodied_bench.baselines.scripted:ScriptedOracle")
AGENTS.register("oneshot-nn", "embodied_bench.baselines.oneshot_nn:OneShotNN")
AGENTS.register("ppo", "embodied_bench.baselines.sb3_agents:PPOLearner")
AGENTS.register("sac", "embodied_bench.baselines.sb3_agents:SACLearner")
AGENTS.register("cem-sim", "embodied_bench.baselines.cem_sim:CEMSim")
AGENTS.register("cem-learned", "embodied_bench.baselines.cem_learned:CEMLearned")
AGENTS.register("bc", "embodied_bench.baselines.bc:BehaviourCloning")
AGENTS.register("bco", "embodied_bench.baselines.bco:BCO")
