# Data of the cifar10 profiles (contracts.md §1, §5.1): CIFAR-10 decoded once into <data-root>/cifar10/
# cifar10-uint8.npz (pretrain/datasets/cifar.py) before any run. Looked for in this order: the cache itself; the sources
# pretrain.datasets.cifar finds in <data-root>/cifar10/ (python pickles, an ImageFolder, the JPEG tarball); the first existing
# file of `candidates` (relative to the repository root: this project's JPEG q75 copy); with --download,
# torchvision's official copy. Otherwise the pipeline stops and says what to put where.
cifar10 = dict(folder='cifar10', candidates=['../shared/data/cifar10-jpeg.tar.gz'])
