"""Compare hashing methods: methods x code lengths x seeds, selected on
validation, reported on test (table, figure, JSON). On precomputed features
(the feature track):

    python tools/extract_pretrained_features.py
    python tools/compare.py \
        configs/feature_track/hashnet_mlp_efficientnetlite0-features_fashion-mnist-demo.py \
        configs/feature_track/hashnet_mlp_efficientnetlite0-features_fashion-mnist-mosaic-cpu.py \
        --bits 16 32 64 --seeds 0 1 2 --jobs 2 --out benchmarks/results/feature_track

Every deep method (HashNet and each configs/_base_/methods/*.py that runs on
features) and the shallow ones by default; finished runs in --work-dir are
read back, a run folder of other settings is refused. Given an image
config with a validation split, the deep methods train end to end instead:

    python tools/compare.py \
        configs/hashnet/hashnet_resnet18cifar_1xb64_fashionmnist-demo_32bit.py \
        --methods hashnet csq dpn greedyhash --bits 32 64 --seeds 0 1 --jobs 2

See hashnet_mm.experiments.comparison.
"""  # noqa: E501
from hashnet_mm.experiments.compare import main

if __name__ == '__main__':
    main()
