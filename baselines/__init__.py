"""Reference agents, registered by name with what each is (lazy: nothing heavy is imported
until used)."""

from embodied_bench.registry import register_baseline

register_baseline("random", "embodied_bench.baselines.random_agent:RandomAgent", role="random")
register_baseline("scripted", "embodied_bench.baselines.scripted:ScriptedOracle", role="oracle")
register_baseline("oneshot-nn", "embodied_bench.baselines.oneshot_nn:OneShotNN", role="model-free")
register_baseline("ppo", "embodied_bench.baselines.sb3_agents:PPOLearner", role="model-free")
register_baseline("sac", "embodied_bench.baselines.sb3_agents:SACLearner", role="model-free")
register_baseline("cem-sim", "embodied_bench.baselines.cem_sim:CEMSim", role="simulator planner")
register_baseline("cem-learned", "embodied_bench.baselines.cem_learned:CEMLearned", role="learned-model planner")
register_baseline("cem-learned-frozen", "embodied_bench.baselines.cem_learned:CEMLearnedFrozen", role="learned-model planner")
register_baseline("bc", "embodied_bench.baselines.bc:BehaviourCloning", role="model-free")
register_baseline("bco", "embodied_bench.baselines.bco:BCO", role="model-free")
