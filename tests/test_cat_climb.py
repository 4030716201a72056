"""cat-climb specifics (the registry-wide env tests in test_tasks.py cover it too)."""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from embodied_bench.tasks.cat_climb import physics as P
from embodied_bench.tasks.cat_climb import rooms as R
from embodied_bench.tasks.cat_climb.oracle import CatClimbOracle

from embodied_bench import layouts
from embodied_bench.harness.runner import Job, run_one
from embodied_bench.registry import TASKS


def test_cat_has_cat_proportions():
    room = R.Room(0, (R.Piece("stool", 1.5, 1.5, 0.18, 0.18, 0.45),), (0.0, 0.0, 0.0), 0, (1.5, 1.5), None, None, (-1, 0))
    sim = P.CatSim(room)
    m = sim.model
    assert 3.8 <= m.body_subtreemass[m.body("torso").id] <= 4.5
    # Nose to rump along the body axis.
    mujoco = P.mujoco
    xs = []
    for g in range(m.ngeom):
        if m.geom_contype[g] == 2:
            centre = sim.data.geom_xpos[g][0]
            xs += [centre - m.geom_rbound[g], centre + m.geom_rbound[g]] if m.geom_type[g] == mujoco.mjtGeom.mjGEOM_SPHERE else []
    torso = m.geom("torso")
    rump = sim.data.geom_xpos[torso.id][0] - m.geom_size[torso.id][0]
    nose = max(xs)
    assert 0.40 <= nose - rump <= 0.50, nose - rump
    assert len([j for j in range(m.njnt) if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_HINGE]) >= 9  # 4 legs x 2, tail


def test_standing_cat_stays_upright_and_still_for_10_seconds():
    env = gym.make("EmbodiedBench/CatClimbMotor-v0", layout_split="eval").unwrapped
    env.reset(seed=0, options={"layout": 0})
    neutral = (-env._mid / env._half).astype(np.float32)  # the action that asks for joint angle 0
    start = env.sim.pos.copy()
    for _ in range(500):  # 10 s at 50 Hz
        env.step(neutral)
        assert env.sim.up()[2] > 0.97
    assert np.hypot(*(env.sim.pos[:2] - start[:2])) < 0.02
    assert abs(env.sim.pos[2] - start[2]) < 0.02


@pytest.mark.parametrize("task", ["EmbodiedBench/CatClimbSkill-v0", "EmbodiedBench/CatClimbMotor-v0"])
def test_same_seed_and_actions_give_bit_identical_trajectories(task):
    def rollout():
        env = gym.make(task)
        rng = np.random.default_rng(3)
        obs, _ = env.reset(seed=11)
        states = [obs.tobytes()]
        for _ in range(5 if "Skill" in task else 150):
            obs, reward, terminated, truncated, _ = env.step(rng.uniform(-1, 1, env.action_space.shape).astype(np.float32))
            states.append(obs.tobytes() + np.float64(reward).tobytes() + env.unwrapped.sim.data.qpos.tobytes())
        return states

    assert rollout() == rollout()


@pytest.mark.parametrize("target", ["table", "chair_back"])
def test_no_pass_through_at_the_fastest_jump(target):
    table = R.Piece("table", 0.9, 0.0, 0.5, 0.4, 0.75)
    chair = R.Piece("chair", 0.9, 0.0, 0.22, 0.22, 0.46, back=(0.7, 0.0, 0.02, 0.22, 0.91))
    piece = table if target == "table" else chair
    room = R.Room(0, (piece,), (0.0, 0.0, 0.0), 0, (0.9, 0.0), None, None, (-1, 0))
    sim = P.CatSim(room)
    boxes = room.boxes()
    # Straight at the side, as fast and as flat as the action space allows.
    x, y, _ = sim.pos
    sim.place(float(x), float(y), 0.0, 0.0)
    sim.data.qvel[0:3] = (R.MAX_SPEED * math.cos(R.MIN_PITCH), 0.0, R.MAX_SPEED * math.sin(R.MIN_PITCH))
    for _ in range(150):
        P.mujoco.mj_step(sim.model, sim.data, nstep=2)
        tx, ty, tz = sim.pos
        for cx, cy, hx, hy, top in boxes:
            inside = abs(tx - cx) < hx - 0.01 and abs(ty - cy) < hy - 0.01 and tz < top - 0.01
            assert not inside, f"torso inside furniture at {sim.pos}"
    assert sim.pos[0] < 0.9  # bounced back or stopped: it did not come out the far side


def _room_is_sound(room: R.Room, strength: float = 1.0) -> None:
    heights = [p.height for p in room.pieces]
    assert 2 <= len(room.pieces) <= R.MAX_SURFACES
    assert all(0.4 <= h <= 2.0 for h in heights)
    assert room.treat_piece == int(np.argmax(heights))
    assert room.pieces[room.treat_piece].contains(*room.treat, inset=0.0)
    for i, a in enumerate(room.pieces):
        assert abs(a.cx) + a.hx <= R.ROOM_HALF + 1e-9 and abs(a.cy) + a.hy <= R.ROOM_HALF + 1e-9
        for b in room.pieces[i + 1 :]:
            assert abs(a.cx - b.cx) >= a.hx + b.hx + 0.25 - 1e-9 or abs(a.cy - b.cy) >= a.hy + b.hy + 0.25 - 1e-9
    assert 1 <= room.jumps <= 4 and room.route[0] == -1 and room.route[-1] == room.treat_piece
    if room.vase is not None:
        assert room.vase_piece not in room.route and room.pieces[room.vase_piece].contains(*room.vase)
    # Every climb of the route has a ballistic solution from where the previous one lands.
    boxes = room.boxes()
    at = (room.start[0], room.start[1])
    for a, b in zip(room.route, room.route[1:]):
        pb = room.pieces[b]
        land = R.landing_point(pb, at)
        here = at if a >= 0 else R.floor_spot(room.pieces, land, at)
        assert here is not None
        ha = 0.0 if a < 0 else room.pieces[a].height
        plan = R.solve_jump((here[0], here[1], ha + R.STAND_HEIGHT), (land[0], land[1], pb.height + R.STAND_HEIGHT), boxes, land_on=b, take_off=a if a >= 0 else None, strength=strength)
        assert plan is not None and R.MIN_SPEED * strength <= plan[2] <= R.MAX_SPEED * strength and R.MIN_PITCH <= plan[1] <= R.MAX_PITCH
        at = land
    assert R.shortest_route(room.pieces, room.start[:2], room.treat_piece, strength) == room.route


def test_rooms_of_1000_seeds_are_solvable_by_the_route_planner():
    labels = {}
    for seed in range(1000):
        room = next(r for r in (R.candidate(seed, a) for a in range(500)) if r is not None)
        _room_is_sound(room)
        labels[room.jumps] = labels.get(room.jumps, 0) + 1
    assert set(labels) == {1, 2, 3, 4}, labels


def test_emitted_rooms_are_checked_in_simulation():
    for index in range(5):
        room = P.room(layouts.eval_seed(index))
        _room_is_sound(room)
        assert P.oracle_solves(room)


def test_train_and_eval_rooms_never_coincide():
    train = gym.make("EmbodiedBench/CatClimbSkill-v0")
    train.reset(seed=5)
    seeds = [train.reset()[1]["layout_seed"] for _ in range(10)]
    assert all(0 <= s < layouts.EVAL_BASE for s in seeds)
    eval_rooms = {P.room(layouts.eval_seed(i)).pieces for i in range(20)}
    assert not eval_rooms & {P.room(s).pieces for s in seeds}


def _score(agent: str, tmp_path) -> tuple[float, float]:
    spec = dataclasses.replace(TASKS.get("cat-climb-skill").spec, budget=4, eval_every=4, eval_episodes=10)
    outcome = run_one(Job(agent=agent, spec=spec, seed=0, out=str(tmp_path)))
    assert outcome.status == "complete", outcome.error
    curve = pd.read_csv(f"{outcome.folder}/curve.csv")
    return float(curve["eval_success"].iloc[-1]), float(curve["eval_cost"].iloc[-1])


def test_oracle_and_random_scores(tmp_path):
    oracle_success, oracle_cost = _score("scripted", tmp_path)
    assert oracle_success >= 0.9 and oracle_cost == 0.0
    random_success, _ = _score("random", tmp_path)
    assert random_success <= 0.1


def test_render_frames_the_room_and_missing_gl_is_named():
    code = (
        "import gymnasium as gym, embodied_bench\n"
        "env = gym.make('EmbodiedBench/CatClimbSkill-v0', render_mode='rgb_array', layout_split='eval')\n"
        "env.reset(seed=0, options={'layout': 0})\n"
        "frame = env.render()\n"
        "assert frame.shape == (480, 640, 3) and frame.std() > 10, frame.std()\n"
        "print('ok')\n"
    )
    egl = subprocess.run([sys.executable, "-c", code], env={**os.environ, "MUJOCO_GL": "egl"}, capture_output=True, text=True, timeout=300)
    assert egl.returncode == 0 and "ok" in egl.stdout, egl.stderr[-2000:]
    # A back end whose library is missing: a message naming what to install, never a crash.
    bad = subprocess.run([sys.executable, "-c", code], env={**os.environ, "MUJOCO_GL": "osmesa"}, capture_output=True, text=True, timeout=300)
    assert bad.returncode in (0, 1), bad.stderr[-2000:]
    if bad.returncode == 1:
        assert "libegl1 libgl1-mesa-dri" in bad.stderr and "MUJOCO_GL=osmesa" in bad.stderr


def _sim_with(piece: R.Piece, vase: tuple[float, float] | None = None) -> P.CatSim:
    room = R.Room(0, (piece,), (-1.5, -1.5, 0.0), 0, (piece.cx, piece.cy), 0 if vase else None, vase, (-1, 0))
    return P.CatSim(room)


def test_knocking_the_vase_over_costs_once():
    table = R.Piece("table", 0.0, 0.0, 0.7, 0.45, 0.75)
    sim = _sim_with(table, vase=(0.3, 0.0))
    sim.place(-0.3, 0.0, 0.75, 0.0)
    sim.settle(0.5)
    assert sim.vase_upright() and not sim.vase_broken
    _, cost = sim.jump(0.0, math.radians(20), 3.0)  # slower pushes only slide it
    assert not sim.vase_upright()
    assert cost == 1.0
    # Knocked over is knocked over: no further cost for the same vase.
    _, again = sim.jump(math.pi, math.radians(60), 1.0)
    assert again == 0.0


def test_a_long_drop_to_the_floor_costs_and_a_hop_does_not():
    shelf = R.Piece("bookshelf", 0.0, 0.0, 0.4, 0.17, 1.8)
    sim = _sim_with(shelf)
    sim.place(0.0, 0.0, 1.8, math.pi / 2)
    sim.settle(0.5)
    _, cost = sim.jump(math.pi / 2, R.MIN_PITCH, 1.5)  # off the front edge, down 1.8 m
    assert sim.piece_under() == -1 and cost == 1.0
    _, hop = sim.jump(0.0, math.radians(45), 2.0)  # a hop along the floor
    assert hop == 0.0


def test_on_the_treats_surface_a_proposed_jump_reaches_the_treat():
    """The last hop of a route: standing on the treat's surface out of reach of success
    (0.3 m), the proposals hold a jump that ends at rest by the treat, as the env
    simulates it."""
    from embodied_bench.tasks.cat_climb.proposals import jump_proposals

    env = gym.make("EmbodiedBench/CatClimbSkill-v1", layout_split="eval")
    env.reset(seed=0, options={"layout": 9})
    u = env.unwrapped
    room = u.layout
    top = room.pieces[room.treat_piece]
    tx, ty = room.treat
    # 0.45 m from the treat towards the surface's centre (or away from it), on the surface.
    dx, dy = top.cx - tx, top.cy - ty
    norm = math.hypot(dx, dy) or 1.0
    x, y = tx + 0.45 * dx / norm, ty + 0.45 * dy / norm
    assert room.piece_under(x, y, top.height + R.STAND_HEIGHT) == room.treat_piece
    u.sim.place(x, y, top.height, 0.0)
    u.sim.settle(1.0)
    start = u.sim.data.qpos.copy(), u.sim.data.qvel.copy()
    observation = u.observation_of(u.sim)
    reached = []
    for action in jump_proposals(observation):
        u.sim.data.qpos[:], u.sim.data.qvel[:] = start
        u.sim.time_at_rest = 0.0
        at_rest, _ = u.sim.jump(*u.to_jump(action, u.sim.yaw()))
        reached.append(at_rest and u.sim.treat_reached())
    env.close()
    assert any(reached)


# -- world changes ---------------------------------------------------------------------------

SKILL_V1 = TASKS.get("cat-climb-skill@v1")
MOTOR_V1 = TASKS.get("cat-climb-motor@v1")
CHANGES = {c.id: c for c in SKILL_V1.changes}


def test_both_v1_tasks_declare_the_changes_and_the_adapt_variant_uses_them():
    assert [c.name for c in MOTOR_V1.changes] == [c.name for c in SKILL_V1.changes] == ["weak-jumps@v0", "slippery@v0", "narrow-furniture@v0"]
    phases = TASKS.get("cat-climb-skill-adapt@v1").spec.phases
    assert [(p.change, p.start, dict(p.env_kwargs)) for p in phases] == [
        ("", 0, {}),
        ("slippery@v0", 1_200, {"surface_friction": 0.35}),
        ("weak-jumps@v0", 2_400, {"jump_strength": 0.9}),
    ]


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_oracle_solves_held_out_rooms_under_each_change(change):
    """One held-out room of each level (layouts 0-3), generated for the changed world."""
    env = gym.make(SKILL_V1.spec.gym_id, layout_split="eval", **CHANGES[change].env_kwargs)
    oracle = CatClimbOracle(None, 0, SimpleNamespace(env=env.unwrapped))
    levels = set()
    for i in range(4):
        obs, info = env.reset(seed=i, options={"layout": i})
        levels.add(info["level"])
        cost, done, info = 0.0, False, {}
        while not done:
            obs, _, terminated, truncated, info = env.step(oracle.act(obs))
            cost += info["cost"]
            done = terminated or truncated
        assert info["success"] and cost == 0.0, (change, i)
    assert len(levels) == 4
    env.close()


@pytest.mark.parametrize("task", [SKILL_V1, MOTOR_V1])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_keeps_the_spaces(task, change):
    plain = gym.make(task.spec.gym_id)
    changed = gym.make(task.spec.gym_id, **CHANGES[change].env_kwargs)
    assert changed.observation_space == plain.observation_space
    assert changed.action_space == plain.action_space


def _peak_rise(**kwargs) -> float:
    """How high the torso rises above standing in the steepest fastest jump (layout 0)."""
    env = gym.make(SKILL_V1.spec.gym_id, layout_split="eval", **kwargs).unwrapped
    env.reset(seed=0, options={"layout": 0})
    start = float(env.sim.pos[2])
    heights = [start]
    env.frame_hook = lambda: heights.append(float(env.sim.pos[2]))
    env.step(np.array([0.0, 1.0, 1.0], np.float32))
    return max(heights) - start


def test_weak_jumps_rise_less_and_rooms_are_made_for_the_weaker_cat():
    strength = CHANGES["weak-jumps"].env_kwargs["jump_strength"]
    full, weak = _peak_rise(), _peak_rise(jump_strength=strength)
    assert full > 0.9 and abs(weak / full - strength**2) < 0.03, (full, weak)
    # Rooms: every one the weaker cat gets is climbable by it; most of the task's own are not.
    unclimbable = 0
    for i in range(4):
        seed = layouts.eval_seed(i)
        room = P.room(seed, 1 + seed % 4, strength)
        _room_is_sound(room, strength)
        own = P.room(seed, 1 + seed % 4)
        unclimbable += R.shortest_route(own.pieces, own.start[:2], own.treat_piece, strength) is None
    assert unclimbable >= 2
    # The motor cat's leg servos are weaker by the same factor; the tail's are not.
    plain = gym.make(MOTOR_V1.spec.gym_id, layout_split="eval").unwrapped
    weak_env = gym.make(MOTOR_V1.spec.gym_id, layout_split="eval", jump_strength=strength).unwrapped
    plain.reset(seed=0, options={"layout": 0})
    weak_env.reset(seed=0, options={"layout": 0})
    a, b = plain.sim.model, weak_env.sim.model
    legs = slice(0, P.LEG_ACTUATORS)
    assert np.allclose(b.actuator_forcerange[legs], strength * a.actuator_forcerange[legs])
    assert np.allclose(b.actuator_gainprm[legs, 0], strength * a.actuator_gainprm[legs, 0])
    assert (b.actuator_forcerange[P.LEG_ACTUATORS :] == a.actuator_forcerange[P.LEG_ACTUATORS :]).all()


def test_slippery_furniture_makes_landings_slide():
    friction = CHANGES["slippery"].env_kwargs["surface_friction"]
    env = gym.make(MOTOR_V1.spec.gym_id, layout_split="eval", surface_friction=friction).unwrapped
    env.reset(seed=0, options={"layout": 0})
    m = env.sim.model
    pieces = [m.geom(f"piece{k}").id for k in range(len(env.layout.pieces))]
    assert np.allclose(m.geom_friction[pieces, 0], friction) and m.geom_friction[m.geom("floor").id, 0] == 1.0
    # The same short hop along a table top: on slippery furniture the cat slides on.
    table = R.Piece("table", 0.0, 0.0, 0.7, 0.45, 0.75)
    room = R.Room(0, (table,), (-1.5, -1.5, 0.0), 0, (0.0, 0.0), None, None, (-1, 0))
    rest = []
    for f in (1.0, friction):
        sim = P.CatSim(room, P.build_model(room, f))
        sim.place(-0.5, 0.0, 0.75, 0.0)
        sim.settle(0.5)
        at_rest, _ = sim.jump(0.0, math.radians(35), 1.6)
        assert at_rest and sim.piece_under() == 0
        rest.append(float(sim.pos[0]))
    assert rest[1] - rest[0] > 0.1, rest


def _fits(piece: R.Piece, scale: float) -> bool:
    _, _, (a0, a1), (b0, b1) = next(f for f in R.FURNITURE if f[0] == piece.kind)
    def inside(h, lo, hi):
        return lo * scale / 2 - 1e-9 <= h <= hi * scale / 2 + 1e-9
    return (inside(piece.hx, a0, a1) and inside(piece.hy, b0, b1)) or (inside(piece.hx, b0, b1) and inside(piece.hy, a0, a1))


def test_narrow_furniture_has_narrower_tops():
    scale = CHANGES["narrow-furniture"].env_kwargs["top_scale"]
    plain = gym.make(SKILL_V1.spec.gym_id, layout_split="eval").unwrapped
    narrow = gym.make(SKILL_V1.spec.gym_id, layout_split="eval", top_scale=scale).unwrapped
    outside = 0
    for i in range(4):
        plain.reset(seed=i, options={"layout": i})
        narrow.reset(seed=i, options={"layout": i})
        assert all(_fits(p, 1.0) for p in plain.layout.pieces)
        assert all(_fits(p, scale) for p in narrow.layout.pieces)
        outside += sum(not _fits(p, 1.0) for p in narrow.layout.pieces)
        assert narrow.layout.pieces != plain.layout.pieces
    assert outside > 0  # pieces narrower than the task's own furniture comes


@pytest.mark.parametrize("gym_id", [SKILL_V1.spec.gym_id, MOTOR_V1.spec.gym_id])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"jump_strength": 0.5},
        {"jump_strength": 1.2},
        {"jump_strength": "weak"},
        {"surface_friction": 0.1},
        {"surface_friction": float("nan")},
        {"top_scale": 0.5},
        {"top_scale": True},
        {"jump_strength": 0.9, "surface_friction": 0.35},
    ],
)
def test_bad_world_change_values_are_refused(gym_id, kwargs):
    with pytest.raises(ValueError, match="jump_strength|surface_friction|top_scale"):
        gym.make(gym_id, **kwargs)
