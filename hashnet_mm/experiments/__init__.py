"""Experiments over many runs: pretrained features extracted once
(:mod:`.pretrained_features`) and the methods x code lengths x seeds
comparison on them (:mod:`.comparison`)."""
