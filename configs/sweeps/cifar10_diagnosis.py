# Issue 23's diagnosis: why both methods collapse at batch 256 on CPU, and what prevents it.
#   python -m suite.sweep configs/sweeps/cifar10_diagnosis.py [--only NAME,...] [--dry-run]
# Base (configs/pretrain/cifar10/diagnosis/): the CPU sweep's batch-256 regime (standard stem, 32 px, split BN
# 8 × 32, lr 0.03 applied, K 4096, m 0.99, τ 0.1, train_minus_val), 80 iterations at constant lr, seed 0, fp32,
# every 10 steps: per-term losses, positive / negative cosines, key-batch mean cosine, effective rank, gradient
# norm. Each point changes one thing (`options` are --cfg-options of pretrain.train; `amp` its --amp). Records and
# curves go to results/cifar10/diagnosis/records/, the table to results/cifar10/diagnosis/diagnosis.md. Judged on
# training dynamics only: no kNN, no test split.
sweep = 'cifar10_diagnosis'
kind = 'diagnosis'
out = 'diagnosis'
profile = 'cifar10'
queue_size = 4096
bases = dict(mocov2='configs/pretrain/cifar10/diagnosis/mocov2_r18_1xb256-80it_cifar10-val.py',
             leoclr='configs/pretrain/cifar10/diagnosis/leoclr_r18_1xb256-80it_cifar10-val.py')


def _warmup(iters):  # lr 1 % → 100 % linearly over `iters` steps, then constant
    return {'param_scheduler.0.start_factor': 0.01, 'param_scheduler.0.end': iters}


points = [
    dict(name='base', options={}, changes='none',
         why='the regime as the CPU sweep met it: expected to collapse within 20-30 steps'),
    dict(name='warmup40', options=_warmup(40), changes='lr warm-up over 40 steps',
         why='the warm-up that prevented the collapse for both methods (shared/smoke-findings.md), now recorded'),
    dict(name='warmup10', options=_warmup(10), changes='lr warm-up over 10 steps',
         why='warm-up length: shorter than the queue fill of MoCo-v2 (16 steps)'),
    dict(name='warmup20', options=_warmup(20), changes='lr warm-up over 20 steps',
         why='warm-up length: about one queue fill'),
    dict(name='lr0.1x', options={'optim_wrapper.optimizer.lr': 0.006}, changes='lr ÷ 10 (0.003 applied), no warm-up',
         why='is it the lr alone? a constant small lr against the warm-up'),
    dict(name='tau0.2', options={'model.temperature': 0.2}, changes='τ 0.2',
         why='a softer softmax (the MoCo-v2 ImageNet value)'),
    dict(name='m0.999', options={'model.momentum': 0.999}, changes='m 0.999',
         why='a slower key encoder (the MoCo-v2 ImageNet value)'),
    dict(name='head512', options={'model.proj_hidden_dim': 512}, changes='head 512-512-128',
         why='the MoCo-v2 head width rule for R18 (today 512-2048-128)'),
    dict(name='bnplain', options={'model.bn': 'plain'}, changes='plain BN (no split, no key shuffle)',
         why='BN mode: whether the split-BN statistics are the channel of collapse'),
    dict(name='enqueue-first', options={'model.enqueue': 'first'}, methods=['leoclr'],
         changes='LeOCLR enqueues only k1',
         why='LeOCLR fills the queue twice as fast as MoCo-v2 (both crops enqueued)'),
    dict(name='loss-mean', options={'model.loss_terms': 'mean'}, methods=['leoclr'],
         changes="LeOCLR's loss = mean of its two terms",
         why='the sum of two terms doubles the gradient against MoCo-v2 at the same lr'),
    dict(name='bf16-autocast', options={'model.infonce_precision': 'autocast'}, amp='bf16', methods=['leoclr'],
         changes='bf16 autocast, InfoNCE under autocast (the GPU run)',
         why='precision: the negative logits bf16-quantised as on the H200 run'),
    dict(name='bf16-fp32logits', options={}, amp='bf16', methods=['leoclr'],
         changes='bf16 autocast, InfoNCE in fp32 (the fix)',
         why='precision: the same with the logits in float32'),
    dict(name='prefill', options={'queue_prefill': True}, changes='queue pre-filled with real keys before step 1',
         why="the queue's random phase: f_k's keys of real views (pretrain.hooks.QueuePrefillHook) instead of "
             "random vectors"),
]
