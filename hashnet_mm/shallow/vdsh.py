"""VDSH: very deep supervised hashing, trained layer by layer without
back-propagation.

After Zhang, Chen & Saligrama, "Efficient Training of Very Deep Neural
Networks for Supervised Hashing", CVPR 2016: an MLP of L ReLU layers and a
linear hash layer u (code sgn(u)) whose layers are decoupled by auxiliary
pre-activations Z_l and activations A_l; each iteration minimises an
augmented Lagrangian exactly over one block at a time, every update local
to one layer (ADMM-style). Its terms (V1)-(V5) and the updates (U1)-(U7)
cited below are written out in the documentation page
``docs/en/advanced_guides/vdsh.md``.
"""
import time
from typing import List, Optional

import torch

from ..codes import sign_codes
from ..registry import HASHERS
from .base import FeatureHasher
from .linalg import ridge_regression


def ridge_with_bias(inputs: torch.Tensor,
                    targets: torch.Tensor,
                    reg: float,
                    prior: Optional[torch.Tensor] = None):
    """argmin_{W, c} ||targets - inputs W - 1 c^T||^2 + reg ||W - prior||^2
    (prior 0 if None; the bias c is not penalised: regression of centred
    data)."""
    input_mean, target_mean = inputs.mean(dim=0), targets.mean(dim=0)
    inputs, targets = inputs - input_mean, targets - target_mean
    if prior is None:
        weight = ridge_regression(inputs, targets, reg)
    else:
        weight = prior + ridge_regression(inputs, targets - inputs @ prior,
                                          reg)
    return weight, target_mean - input_mean @ weight


def relu_preact_update(m: torch.Tensor, a: torch.Tensor, beta: float,
                       gamma: float) -> torch.Tensor:
    """argmin_z beta (z - m)^2 + gamma (a - relu(z))^2, entrywise (U3):
    the better of the minimisers on z >= 0 and on z <= 0."""
    positive = ((beta * m + gamma * a) / (beta + gamma)).clamp(min=0)
    negative = m.clamp(max=0)
    cost_positive = beta * (positive - m)**2 + gamma * (a - positive)**2
    cost_negative = beta * (negative - m)**2 + gamma * a**2
    return torch.where(cost_positive <= cost_negative, positive, negative)


@HASHERS.register_module()
class VDSH(FeatureHasher):
    """Very deep supervised hashing trained by local layer-wise updates.

    The objective (V1)-(V5) and the updates (U1)-(U7):
    ``docs/en/advanced_guides/vdsh.md``. ``history`` holds, per
    iteration, E after (U1)-(U5) (before (U6)), E with the auxiliary
    variables set to the forward pass (``forward_objective``), the
    root-mean-square constraint residual sqrt(sum_l ||R_l||^2 / n)
    (``residual``) and the iteration's wall time in seconds; the first
    entry is at initialisation, where the two objectives agree and the
    residual is 0.

    Args:
        num_bits (int): K.
        depth (int): L hidden layers (the paper goes up to 64).
        width (int): H units per hidden layer (the paper: up to 1024).
        num_iters (int): iterations of (U1)-(U7).
        code_weight (float): nu of (V2) at the start.
        preact_weight (float): beta of (V3) at the start.
        act_weight (float): gamma of (V4) at the start.
        weight_decay (float): lambda of (V5).
        penalty_growth (float): rho of (U7); 1 keeps the penalties fixed.
        multipliers (bool): keep the multipliers U of (V3) and ascend them
            (U6); False gives the plain quadratic-penalty method (U = 0).
        identity_prior (bool): Wbar_l = I for the hidden-to-hidden layers,
            which also start there; False: Wbar = 0 and He-normal starts
            for every layer.
        dtype (torch.dtype): float32 for speed, float64 for exactness.
        device (str, optional): where to train; default: the features'.
        seed (int): seed of the initial weights (He normal).
    """

    supervised = True

    def __init__(self,
                 num_bits: int,
                 depth: int = 4,
                 width: int = 256,
                 num_iters: int = 30,
                 code_weight: float = 0.01,
                 preact_weight: float = 0.01,
                 act_weight: float = 0.01,
                 weight_decay: float = 3e-3,
                 penalty_growth: float = 1.1,
                 multipliers: bool = True,
                 identity_prior: bool = True,
                 dtype=torch.float32,
                 device=None,
                 seed: int = 0):
        super().__init__(num_bits, seed)
        for name, value in (('depth', depth), ('width', width), ('num_iters',
                                                                 num_iters)):
            if value < 1:
                raise ValueError(f'{type(self).__name__}: {name} must be '
                                 f'>= 1, got {value}')
        self.depth, self.width, self.num_iters = depth, width, num_iters
        self.penalties = (code_weight, preact_weight, act_weight)
        self.weight_decay = weight_decay
        self.penalty_growth = penalty_growth
        self.multipliers, self.identity_prior = multipliers, identity_prior
        self.dtype, self.device = dtype, device

    # -- network --------------------------------------------------------
    def _standardise(self, features: torch.Tensor) -> torch.Tensor:
        features = features.to(self.device or features.device, self.dtype)
        return (features - self.mean) / self.scale

    def forward(self, inputs: torch.Tensor) -> List[torch.Tensor]:
        """Pre-activations [Z_1, ..., Z_L, U] of standardised inputs."""
        outputs, hidden = [], inputs
        for weight, bias in zip(self.weights, self.biases):
            outputs.append(hidden @ weight + bias)
            hidden = outputs[-1].relu()
        return outputs

    def _project(self, features):
        return self.forward(self._standardise(features))[-1]

    # -- objective ------------------------------------------------------
    def _linear_preacts(self, activations):
        """A_{l-1} W_l + c_l for l = 1..L."""
        return [
            activations[layer] @ self.weights[layer] + self.biases[layer]
            for layer in range(self.depth)
        ]

    def objective(self, forward: bool = False) -> float:
        """E of (V1)-(V5) at the current variables; with ``forward``, at
        auxiliary variables equal to the network's forward pass on the
        training rows, where (V3) and (V4) vanish."""
        with torch.no_grad():
            preacts, activations = self.preacts, self.activations
            if forward:
                preacts, activations = self._forward_auxiliaries(
                    self.activations[0])
            n = self.labels.shape[0]
            code_fit = activations[-1] @ self.weights[-1] + self.biases[-1]
            total = (
                (self.labels - self.codes @ self.classifier).square().sum() +
                self.nu * (self.codes - code_fit).square().sum()) / 2
            linear = self._linear_preacts(activations)
            for layer, dual in enumerate(self.duals):
                residual = preacts[layer] - linear[layer]
                total += self.beta / 2 * (
                    (residual + dual).square().sum() - dual.square().sum())
                total += self.gamma / 2 * (
                    activations[layer + 1] -
                    preacts[layer].relu()).square().sum()
            decay = self.classifier.square().sum()
            decay += self.weight_distance()
            return (total / n + self.weight_decay / 2 * decay).item()

    def weight_distance(self) -> torch.Tensor:
        """sum_l ||W_l - Wbar_l||^2 of (V5)."""
        return sum(
            (weight if prior is None else weight - prior).square().sum()
            for weight, prior in zip(self.weights, self.priors))

    def constraint_residual(self) -> float:
        """sqrt(sum_l ||R_l||^2 / n): how far the auxiliary pre-activations
        are from the linear maps of the auxiliary activations."""
        total = sum(residual.square().sum() for residual in self.residuals)
        return (total / self.labels.shape[0]).sqrt().item()

    # -- training -------------------------------------------------------
    def _fit(self, features, labels):
        self.mean = features.mean(dim=0).to(self.device or features.device,
                                            self.dtype)
        self.scale = features.std(dim=0).clamp(min=1e-6).to(self.mean)
        inputs = self._standardise(features)
        self.labels = labels.to(inputs)
        self.nu, self.beta, self.gamma = self.penalties
        self._init_network(inputs)
        self._update_classifier()
        self.history = [self._record(0.0)]
        for _ in range(self.num_iters):
            start = time.perf_counter()
            self._update_network()
            self._update_codes()
            self._update_classifier()
            if inputs.is_cuda:
                torch.cuda.synchronize()
            self.history.append(self._record(time.perf_counter() - start))
            self._update_multipliers()
            self.nu *= self.penalty_growth
            self.beta *= self.penalty_growth
            self.gamma *= self.penalty_growth
            self.duals = [dual / self.penalty_growth for dual in self.duals]

    def _record(self, seconds):
        return dict(
            objective=self.objective(),
            forward_objective=self.objective(forward=True),
            residual=self.constraint_residual(),
            seconds=seconds)

    def _init_network(self, inputs):
        """He-normal weights (the identity for hidden-to-hidden layers with
        ``identity_prior``), zero biases and multipliers, auxiliary
        variables set to the forward pass (so (V2)-(V4) start at 0 up to
        B)."""
        generator = self.generator()
        sizes = [inputs.shape[1]] + [self.width] * self.depth + \
            [self.num_bits]
        self.weights = [(torch.randn(
            fan_in, fan_out, generator=generator, dtype=torch.float64) *
                         (2 / fan_in)**0.5).to(inputs)
                        for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]
        # Wbar_l (None for 0): one identity shared by the hidden layers.
        identity = torch.eye(self.width).to(inputs)
        self.priors = [
            identity
            if self.identity_prior and 0 < layer < self.depth else None
            for layer in range(self.depth + 1)
        ]
        self.weights = [
            weight if prior is None else prior.clone()
            for weight, prior in zip(self.weights, self.priors)
        ]
        self.biases = [w.new_zeros(w.shape[1]) for w in self.weights]
        self.preacts, self.activations = self._forward_auxiliaries(inputs)
        self.duals = [torch.zeros_like(z) for z in self.preacts]
        self.residuals = [torch.zeros_like(z) for z in self.preacts]
        self.codes = sign_codes(self._hash_layer_output())

    def _forward_auxiliaries(self, inputs):
        """Z_1..Z_L and A_0..A_L of the forward pass."""
        with torch.no_grad():
            preacts = self.forward(inputs)[:-1]
        return preacts, [inputs] + [z.relu() for z in preacts]

    def _update_network(self):
        """(U1)-(U3): local updates of weights and auxiliary variables."""
        n = self.labels.shape[0]
        targets = [z + u for z, u in zip(self.preacts, self.duals)] + \
            [self.codes]
        penalties = [self.beta] * self.depth + [self.nu]
        for layer, (target, weight) in enumerate(zip(targets, penalties)):
            self.weights[layer], self.biases[layer] = ridge_with_bias(
                self.activations[layer], target,
                n * self.weight_decay / weight, self.priors[layer])
        for layer in range(1, self.depth + 1):
            self.activations[layer] = self._solve_activation(
                layer, targets[layer], penalties[layer])
        linear = self._linear_preacts(self.activations)
        for layer in range(self.depth):
            self.preacts[layer] = relu_preact_update(
                linear[layer] - self.duals[layer], self.activations[layer + 1],
                self.beta, self.gamma)
        # R_l, kept for (U6): only this method changes Z, A, W and c.
        self.residuals = [z - m for z, m in zip(self.preacts, linear)]

    def _solve_activation(self, layer, target, weight):
        """(U2) for A_layer, fed by Z_layer, feeding ``target``."""
        w_next, c_next = self.weights[layer], self.biases[layer]
        system = weight * w_next @ w_next.t()
        system.diagonal().add_(self.gamma)
        rhs = self.gamma * self.preacts[layer - 1].relu() + \
            weight * (target - c_next) @ w_next.t()
        return torch.linalg.solve(system, rhs.t()).t()

    def _update_multipliers(self):
        """(U6): U_l += R_l (nothing without ``multipliers``)."""
        if not self.multipliers:
            return
        for dual, residual in zip(self.duals, self.residuals):
            dual += residual

    def _hash_layer_output(self):
        """u = A_L W_{L+1} + c_{L+1} on the auxiliary activations."""
        with torch.no_grad():
            return self.activations[-1] @ self.weights[-1] + self.biases[-1]

    def _update_codes(self):
        """(U4): one cyclic pass over the bits of B."""
        outputs = self._hash_layer_output()
        residual = self.labels - self.codes @ self.classifier
        for k in range(self.num_bits):
            row = self.classifier[k]
            old = self.codes[:, k].clone()
            score = residual @ row + old * row.square().sum() + \
                self.nu * outputs[:, k]
            new = sign_codes(score)
            residual -= torch.outer(new - old, row)
            self.codes[:, k] = new

    def _update_classifier(self):
        """(U5): ridge regression of the labels on the codes."""
        self.classifier = ridge_regression(
            self.codes, self.labels, self.labels.shape[0] * self.weight_decay)


@HASHERS.register_module()
class BackpropHashMLP(VDSH):
    """The same network, objective, (U4), (U5) and (U7), but the weights
    are trained by back-propagation: each iteration takes ``steps_per_iter``
    Adam steps on mini-batches of nu/2 ||B - u(X)||^2 / n + lambda/2
    sum ||W - Wbar||^2 (E with the auxiliary variables equal to the forward
    pass, where (V3)-(V4) vanish and the multipliers play no part). The
    baseline for VDSH's layer-wise training.

    Args:
        lr (float): Adam learning rate.
        batch_size (int): rows per Adam step.
        steps_per_iter (int): Adam steps per iteration.
        Other arguments as :class:`VDSH`.
    """

    def __init__(self,
                 num_bits: int,
                 lr: float = 1e-3,
                 batch_size: int = 256,
                 steps_per_iter: int = 20,
                 **kwargs):
        # The auxiliaries are always the forward pass: no multipliers.
        super().__init__(num_bits, multipliers=False, **kwargs)
        self.lr, self.batch_size = lr, batch_size
        self.steps_per_iter = steps_per_iter

    def _init_network(self, inputs):
        super()._init_network(inputs)
        for tensor in self.weights + self.biases:
            tensor.requires_grad_(True)
        self.optimizer = torch.optim.Adam(
            self.weights + self.biases, lr=self.lr)
        self.batch_generator = torch.Generator().manual_seed(self.seed + 1)

    def _update_network(self):
        inputs = self.activations[0]
        for _ in range(self.steps_per_iter):
            batch = torch.randint(
                len(inputs), (min(self.batch_size, len(inputs)), ),
                generator=self.batch_generator).to(inputs.device)
            outputs = self.forward(inputs[batch])[-1]
            loss = self.nu / 2 * (self.codes[batch] - outputs).square().sum(
                dim=1).mean() + self.weight_decay / 2 * self.weight_distance()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        self.preacts, self.activations = self._forward_auxiliaries(inputs)

    def _project(self, features):
        with torch.no_grad():
            return super()._project(features)
