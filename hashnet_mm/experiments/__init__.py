"""Experiments over many runs: pretrained features extracted once
(:mod:`.pretrained_features`), the methods x code lengths x seeds
comparison on them (:mod:`.comparison`), and the grid of configs x code
lengths x seeds trained and tested by the project's tools (:mod:`.grid`)."""
