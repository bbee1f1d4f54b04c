"""PyTorch CPU peer for Kindling's vision transformer (kindling_transformer::vit): the time of
one training step of the same model, batch and thread count, to set beside
`cargo run --release -p kindling-transformer --example vit_fashion -- --step`.

The model is torchvision's VisionTransformer written in plain torch (torchvision is not
installed here), as in crates/transformer/tests/fixtures/make_vit.py: a Conv2d patch
embedding (kernel = stride = patch), a class token, learned positions, pre-norm layers of
nn.MultiheadAttention (need_weights=False, so it runs scaled_dot_product_attention) and a
Linear -> GELU -> Linear MLP, LayerNorm eps 1e-6, the class token's state to a Linear head.
Dropout 0. The step: zero_grad, forward, cross-entropy, backward, AdamW (weight decay 0.05 on
parameters with two or more axes, none on the others), float32, on random images and labels
(seeded). Prints the median milliseconds per step over `--steps` timed steps after `--warmup`.

    /work/venv/bin/python tools/peers/vit_torch.py --threads 1 [--batch 128] [--steps 20] [--warmup 3]
"""

import argparse
import statistics
import time
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


class Layer(nn.Module):
    def __init__(self, dim, heads, mlp_dim):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp_dim, dim),
                                 nn.Dropout(0.0))

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + y
        return x + self.mlp(self.ln_2(x))


class Vit(nn.Module):
    def __init__(self, image_size, patch_size, in_channels, num_classes, dim, depth, heads, mlp_dim):
        super().__init__()
        self.conv_proj = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride=patch_size)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        n = (image_size // patch_size) ** 2
        self.pos_embedding = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.layers = nn.Sequential(*[Layer(dim, heads, mlp_dim) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, images):
        x = self.conv_proj(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
        x = self.layers(x)
        return self.head(self.ln(x[:, 0]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    # VitConfig::fashion_mnist()
    p.add_argument("--image", type=int, default=28)
    p.add_argument("--patch", type=int, default=7)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--depth", type=int, default=6)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--mlp", type=int, default=128)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Vit(args.image, args.patch, 1, 10, args.dim, args.depth, args.heads, args.mlp)
    decay = [q for q in model.parameters() if q.dim() >= 2]
    rest = [q for q in model.parameters() if q.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": rest, "weight_decay": 0.0}],
                            lr=1e-3)
    times = []
    for step in range(args.warmup + args.steps):
        x = torch.rand(args.batch, 1, args.image, args.image)
        y = torch.randint(0, 10, (args.batch,))
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    ms = statistics.median(times) * 1e3
    print(f"torch vit step: batch {args.batch}, threads {args.threads}: median {ms:.2f} ms/step "
          f"({args.batch / ms * 1e3:.0f} images/s), last loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
