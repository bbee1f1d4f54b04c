"""PyTorch and JAX twins of `kindling bench train`: the same rows, the same units, the same
output format (`row unit value`), one library and one thread count per process.

    /work/venv/bin/python tools/peers/train_step.py --lib torch --threads 1
    taskset -c 0 /work/venv/bin/python tools/peers/train_step.py --lib jax --threads 1

Rows:
- mlp_sgd_b128, mlp_adam_b128: one training step of the MLP 784-256-128-10 (ReLU, batch 128,
  mean cross-entropy), SGD lr 0.01 or Adam lr 1e-3, in steps/s;
- tinyvgg_sgd_b32: one TinyVGG step (batch 32, 1x28x28, hidden 10, SGD lr 0.1), steps/s;
- mlp_infer_b1/b8/b32: the MLP's forward pass without gradients, latency in microseconds.

PyTorch runs eagerly (`torch.no_grad` for inference), its threads set with
`torch.set_num_threads`. JAX runs each step as one `jax.jit`-compiled function (parameters
and optimizer state in, new ones out, buffers donated), and waits for the result with
`block_until_ready`; XLA's CPU thread pool is capped with `--threads` through XLA_FLAGS and
should also be pinned with `taskset`, which `compare_train.py` does. Adam is written out (no
optax) with PyTorch's formula.

Each figure is the median time of the calls made in `--secs` seconds after a warm-up (at
least 20 calls), as the Rust table measures it.
"""

import argparse
import os
import statistics
import sys
import time


def median_seconds(fn, min_runs=20, min_seconds=1.0):
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if len(times) >= 1000:
            break
    return statistics.median(times)


def torch_rows(threads, secs):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(0)

    def mlp():
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

    def step_fn(model, opt, x, y):
        def step():
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        return step

    x, y = torch.rand(128, 784), torch.randint(0, 10, (128,))
    rows = {}
    model = mlp()
    rows["mlp_sgd_b128"] = step_fn(model, torch.optim.SGD(model.parameters(), lr=0.01), x, y)
    model = mlp()
    rows["mlp_adam_b128"] = step_fn(model, torch.optim.Adam(model.parameters(), lr=1e-3), x, y)

    hidden = 10

    def block(c):
        return nn.Sequential(nn.Conv2d(c, hidden, 3, 1, 1), nn.ReLU(), nn.Conv2d(hidden, hidden, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2))

    vgg = nn.Sequential(block(1), block(hidden), nn.Flatten(), nn.Linear(hidden * 7 * 7, 10))
    rows["tinyvgg_sgd_b32"] = step_fn(vgg, torch.optim.SGD(vgg.parameters(), lr=0.1), torch.rand(32, 1, 28, 28), torch.randint(0, 10, (32,)))

    model = mlp()
    for batch in (1, 8, 32):
        xb = torch.rand(batch, 784)

        def infer(xb=xb):
            with torch.no_grad():
                model(xb)
        rows[f"mlp_infer_b{batch}"] = infer
    return {name: median_seconds(fn, min_seconds=secs) for name, fn in rows.items()}


def jax_rows(threads, secs):
    os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + (
        f" --xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} intra_op_parallelism_threads={threads}")
    import jax
    import jax.numpy as jnp

    key = jax.random.PRNGKey(0)

    def linear_init(key, fan_in, fan_out):
        kw, kb = jax.random.split(key)
        bound = 1.0 / fan_in ** 0.5
        return (jax.random.uniform(kw, (fan_in, fan_out), jnp.float32, -bound, bound),
                jax.random.uniform(kb, (fan_out,), jnp.float32, -bound, bound))

    def mlp_init(key):
        keys = jax.random.split(key, 3)
        return [linear_init(k, i, o) for k, (i, o) in zip(keys, [(784, 256), (256, 128), (128, 10)])]

    def mlp_apply(params, x):
        for i, (w, b) in enumerate(params):
            x = x @ w + b
            if i + 1 < len(params):
                x = jax.nn.relu(x)
        return x

    def xent(logits, y):
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    def sgd(lr):
        def init(params):
            return ()

        def update(params, grads, state):
            return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), state
        return init, update

    def adam(lr, b1=0.9, b2=0.999, eps=1e-8):
        def init(params):
            zeros = lambda: jax.tree_util.tree_map(jnp.zeros_like, params)
            return (jnp.zeros((), jnp.int32), zeros(), zeros())

        def update(params, grads, state):
            t, m, v = state
            t = t + 1
            m = jax.tree_util.tree_map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
            v = jax.tree_util.tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
            c1, c2 = 1 - b1 ** t, jnp.sqrt(1 - b2 ** t)
            params = jax.tree_util.tree_map(lambda p, m, v: p - (lr / c1) * m / (jnp.sqrt(v) / c2 + eps), params, m, v)
            return params, (t, m, v)
        return init, update

    def make_step(apply, params, opt, x, y):
        init, update = opt
        state = [params, init(params)]

        def step(params, opt_state, x, y):
            grads = jax.grad(lambda p: xent(apply(p, x), y))(params)
            return update(params, grads, opt_state)
        step = jax.jit(step, donate_argnums=(0, 1))

        def run():
            state[0], state[1] = step(state[0], state[1], x, y)
            jax.block_until_ready(state[0])
        return run

    kx, ky, kp, kv = jax.random.split(key, 4)
    x = jax.random.uniform(kx, (128, 784), jnp.float32)
    y = jax.random.randint(ky, (128,), 0, 10)
    rows = {
        "mlp_sgd_b128": make_step(mlp_apply, mlp_init(kp), sgd(0.01), x, y),
        "mlp_adam_b128": make_step(mlp_apply, mlp_init(kp), adam(1e-3), x, y),
    }

    hidden = 10

    def conv_init(key, cin, cout):
        kw, kb = jax.random.split(key)
        bound = 1.0 / (cin * 9) ** 0.5
        return (jax.random.uniform(kw, (cout, cin, 3, 3), jnp.float32, -bound, bound),
                jax.random.uniform(kb, (cout,), jnp.float32, -bound, bound))

    def conv(x, wb):
        w, b = wb
        y = jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return jax.nn.relu(y + b[None, :, None, None])

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def vgg_apply(params, x):
        c1, c2, c3, c4, (w, b) = params
        x = pool(conv(conv(x, c1), c2))
        x = pool(conv(conv(x, c3), c4))
        return x.reshape(x.shape[0], -1) @ w + b

    keys = jax.random.split(kv, 5)
    vgg = [conv_init(keys[0], 1, hidden), conv_init(keys[1], hidden, hidden), conv_init(keys[2], hidden, hidden),
           conv_init(keys[3], hidden, hidden), linear_init(keys[4], hidden * 49, 10)]
    rows["tinyvgg_sgd_b32"] = make_step(vgg_apply, vgg, sgd(0.1), jax.random.uniform(kx, (32, 1, 28, 28)), y[:32])

    params = mlp_init(kp)
    forward = jax.jit(mlp_apply)
    for batch in (1, 8, 32):
        xb = jax.random.uniform(kx, (batch, 784), jnp.float32)

        def infer(xb=xb):
            forward(params, xb).block_until_ready()
        rows[f"mlp_infer_b{batch}"] = infer
    return {name: median_seconds(fn, min_seconds=secs) for name, fn in rows.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", choices=["torch", "jax"], required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--secs", type=float, default=1.0)
    args = ap.parse_args()
    rows = (torch_rows if args.lib == "torch" else jax_rows)(args.threads, args.secs)
    print(f"# {args.lib}, {args.threads} thread(s)")
    for name, secs in rows.items():
        if "infer" in name:
            print(f"{name} us {secs * 1e6:.1f}")
        else:
            print(f"{name} steps/s {1.0 / secs:.1f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
