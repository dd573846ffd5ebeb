"""The counter-based generator (pretrain/counter_rng.py) against a pure-Python splitmix64 of the same definition."""
import torch

from pretrain.counter_rng import GAMMA, MIX1, MIX2, output, permutation, sample_key, sample_keys, uniforms

MASK = (1 << 64) - 1


def ref_mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * MIX1) & MASK
    z = ((z ^ (z >> 27)) * MIX2) & MASK
    return z ^ (z >> 31)


def ref_output(key: int, i: int) -> int:
    return ref_mix((key + (i + 1) * GAMMA) & MASK)


def unsigned(tensor: torch.Tensor) -> list[int]:
    return [value & MASK for value in tensor.tolist()]


def test_splitmix64_matches_the_reference_stream():
    # the published first output of splitmix64 seeded with 0 (as xoshiro's reference seeding code computes it)
    assert ref_output(0, 0) == 0xE220A8397B1DCDAF
    keys = torch.tensor([0, 1, -1, 1 << 62, -(1 << 63), 123456789], dtype=torch.int64)
    for i in (0, 1, 7, 1000):
        assert unsigned(output(keys, i)) == [ref_output(k & MASK, i) for k in keys.tolist()]


def test_sample_keys_and_uniforms_match_the_reference():
    seed, epochs, indices = 7, torch.tensor([0, 0, 3, 41]), torch.tensor([0, 5, 5, 49_999])
    keys = sample_keys(seed, epochs, indices)
    expected = [ref_output(ref_output(seed, e), i) for e, i in zip(epochs.tolist(), indices.tolist())]
    assert unsigned(keys) == expected
    assert [sample_key(seed, e, i) for e, i in zip(epochs.tolist(), indices.tolist())] == keys.tolist()
    u64, u32 = uniforms(keys, range(35)), uniforms(keys, range(35), dtype=torch.float32)
    for n, key in enumerate(expected):
        assert u64[n].tolist() == [(ref_output(key, s) >> 11) * 2.0 ** -53 for s in range(35)]
        assert u32[n].tolist() == [(ref_output(key, s) >> 40) * 2.0 ** -24 for s in range(35)]
    assert 0 <= u64.min() and u64.max() < 1 and u64.dtype == torch.float64


def test_uniforms_are_uniform_and_independent_of_the_batch():
    keys = sample_keys(0, 0, torch.arange(20_000))
    u = uniforms(keys, range(4))
    assert abs(u.mean().item() - 0.5) < 0.01 and abs(u.var().item() - 1 / 12) < 0.003
    assert abs(torch.corrcoef(u.T)[0, 1].item()) < 0.03                      # slots are not correlated
    torch.testing.assert_close(uniforms(keys[5:9], range(4)), u[5:9], rtol=0, atol=0)


def test_permutation_is_a_resumable_function_of_its_counters():
    a = permutation(0, torch.tensor(17), 0, 64)
    assert sorted(a.tolist()) == list(range(64))
    assert torch.equal(a, permutation(0, 17, 0, 64))                          # a tensor or an int step
    assert not torch.equal(a, permutation(0, 18, 0, 64)) and not torch.equal(a, permutation(0, 17, 1, 64))
