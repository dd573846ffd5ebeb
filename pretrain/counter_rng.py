"""Counter-based random numbers on the training device: splitmix64 evaluated in int64 tensor ops.

A value is a pure function of its counters — (seed, epoch, index) for a sample's views, (seed, step, slot) for a
key shuffle — so nothing is drawn on the host, nothing depends on the batch a sample sits in or on the device
(CPU and GPU give the same bits: wrapping int64 multiplication and xor-shifts are exact everywhere), and a resumed
run draws what the uninterrupted one drew. splitmix64 (Steele, Lea & Flood, OOPSLA 2014) is the generator that
seeds xoshiro and Java's SplittableRandom; its i-th output from state `key` is `mix(key + (i + 1)·γ)`.
`tests/test_counter_rng.py` checks every function against a pure-Python reference of the same definition.
"""
from __future__ import annotations

import torch

GAMMA = 0x9E3779B97F4A7C15  # splitmix64's increment, 2^64 / golden ratio
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB


def _signed(value: int) -> int:
    """The int64 with the bits of an unsigned 64-bit constant (torch has no uint64 arithmetic)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _shift_right(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Logical right shift of int64 bits (torch's `>>` is arithmetic: mask off the sign copies)."""
    return (x >> bits) & ((1 << (64 - bits)) - 1)


def mix(z: torch.Tensor) -> torch.Tensor:
    """splitmix64's finaliser (a bijection of 64-bit words)."""
    z = (z ^ _shift_right(z, 30)) * _signed(MIX1)
    z = (z ^ _shift_right(z, 27)) * _signed(MIX2)
    return z ^ _shift_right(z, 31)


def output(key: torch.Tensor, i) -> torch.Tensor:
    """The i-th (0-based) output of splitmix64 started from state `key` (int64 tensors, broadcast)."""
    return mix(key + (torch.as_tensor(i, dtype=torch.int64, device=key.device) + 1) * _signed(GAMMA))


def sample_keys(seed: int, epochs, indices) -> torch.Tensor:
    """One int64 key per sample from (seed, epoch, index): the index-th output of the stream keyed by the
    epoch-th output of the stream keyed by the seed. `epochs`, `indices`: int64 tensors (or ints), broadcast."""
    indices = torch.as_tensor(indices, dtype=torch.int64)
    epochs = torch.as_tensor(epochs, dtype=torch.int64, device=indices.device)
    root = torch.full_like(indices, int(seed))
    return output(output(root, epochs), indices)


def sample_key(seed: int, epoch: int, index: int) -> int:
    """`sample_keys` for one sample in plain Python integers (a loader worker's host code: no tensor to read
    back); the int64 value `sample_keys` gives."""
    mask = (1 << 64) - 1

    def out(key: int, i: int) -> int:
        z = (key + (i + 1) * GAMMA) & mask
        z = ((z ^ (z >> 30)) * MIX1) & mask
        z = ((z ^ (z >> 27)) * MIX2) & mask
        return z ^ (z >> 31)

    value = out(out(int(seed) & mask, int(epoch) & mask), int(index) & mask)
    return _signed(value)


def uniforms(keys: torch.Tensor, slots, dtype=torch.float64) -> torch.Tensor:
    """len(keys) × len(slots) uniforms in [0, 1): slot s of sample n is the s-th output of the stream keyed by
    keys[n], its top 53 bits (float64) or 24 bits (float32)."""
    slots = torch.as_tensor(slots, dtype=torch.int64, device=keys.device)
    bits = output(keys[:, None], slots[None, :])
    if dtype == torch.float64:
        return _shift_right(bits, 11).to(torch.float64) * 2.0 ** -53
    return _shift_right(bits, 40).to(dtype) * 2.0 ** -24


def permutation(seed: int, step: torch.Tensor, slot: int, n: int, device=None) -> torch.Tensor:
    """A uniformly random permutation of n, keyed by (seed, step, slot): the argsort of n counter uniforms.
    `step` may be a device tensor (the model's step buffer), so no host read is needed."""
    step = torch.as_tensor(step, dtype=torch.int64, device=device)
    key = output(output(torch.full_like(step, int(seed)), step), slot)
    return output(key.reshape(1), torch.arange(n, device=step.device)).argsort()
