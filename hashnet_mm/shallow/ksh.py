"""KSH: kernel-based supervised hashing, fitted greedily bit by bit."""
import torch

from ..codes import share_label, sign_codes
from ..registry import HASHERS
from .base import FeatureHasher
from .kernel import AnchorKernel


def smooth_sign(t: torch.Tensor) -> torch.Tensor:
    """phi(t) = 2 / (1 + exp(-t)) - 1, KSH's sigmoid surrogate of sgn."""
    return 2 * torch.sigmoid(t) - 1


class LabelResidue:
    """KSH's residue R = K S - B B^T as an operator, never the l x l matrix.

    S_ij (+1 for a shared label, -1 otherwise) depends on the rows' label
    sets only: S = 2 P Z P^T - 1 1^T, with P the (l, G) membership of the
    G distinct label sets and Z their (G, G) shared-label matrix; B (l, k)
    holds the bits fitted so far. ``R @ v`` costs O(l (G + k) + G^2).
    """

    def __init__(self, labels: torch.Tensor, num_bits: int,
                 like: torch.Tensor):
        sets, self.member = torch.unique(
            labels.to(torch.uint8), dim=0, return_inverse=True)
        self.shared = share_label(sets).to(like)
        self.num_bits = num_bits
        self.bits = like.new_zeros(len(labels), 0)

    def __matmul__(self, v: torch.Tensor) -> torch.Tensor:
        """R v for v of shape (l,) or (l, m)."""
        per_set = v.new_zeros((len(self.shared), ) + v.shape[1:])
        per_set.index_add_(0, self.member, v)
        similar = 2 * (self.shared @ per_set)[self.member] - v.sum(dim=0)
        return self.num_bits * similar - self.bits @ (self.bits.t() @ v)

    def subtract(self, bits: torch.Tensor) -> None:
        """R <- R - b b^T."""
        self.bits = torch.cat([self.bits, bits[:, None]], dim=1)


def kernel_gram(kernel: torch.Tensor) -> torch.Tensor:
    """Kbar^T Kbar with a tiny ridge, so that its Cholesky factor exists."""
    gram = kernel.t() @ kernel
    gram.diagonal().add_(1e-8 * gram.diagonal().mean() + 1e-12)
    return gram


def spectral_weights(kernel: torch.Tensor, whitening: torch.Tensor,
                     projected_residue: torch.Tensor) -> torch.Tensor:
    """Step 1: the a of the largest lambda of Kbar^T R Kbar a =
    lambda Kbar^T Kbar a (``whitening`` = the Cholesky factor L of
    Kbar^T Kbar, ``projected_residue`` = Kbar^T R Kbar), scaled so that
    a^T Kbar^T Kbar a = l."""
    middle = torch.linalg.solve_triangular(
        whitening, projected_residue, upper=False)
    middle = torch.linalg.solve_triangular(whitening, middle.t(), upper=False)
    _, vectors = torch.linalg.eigh((middle + middle.t()) / 2)
    a = torch.linalg.solve_triangular(
        whitening.t(), vectors[:, -1:], upper=True)[:, 0]
    return a * (kernel.shape[0] / (kernel @ a).square().sum()).sqrt()


def surrogate_loss(kernel: torch.Tensor, residue: LabelResidue,
                   a: torch.Tensor):
    """-phi(Kbar a)^T R phi(Kbar a) / l^2 and its gradient in a,
    -2 Kbar^T ((R phi) * phi') / l^2 with phi' = (1 - phi^2) / 2 (R
    symmetric): one product with R."""
    soft = smooth_sign(kernel @ a)
    pulled = residue @ soft
    scale = kernel.shape[0]**2
    gradient = kernel.t() @ (pulled * (1 - soft.square())) / -scale
    return -(soft @ pulled) / scale, gradient


@HASHERS.register_module()
class KSH(FeatureHasher):
    """Kernel-based supervised hashing (Liu, Wang, Ji, Jiang & Chang,
    CVPR 2012).

    h_k(x) = sgn(a_k^T kbar(x)) on zero-mean kernel features (see
    :class:`AnchorKernel`). On l labelled rows with S_ij = +1 for pairs that
    share a label and -1 otherwise, the codes B_l should satisfy
    B_l B_l^T ~ K S (the paper's code inner-product objective). Bits are
    fitted greedily on the residue R_{k-1} = K S - sum_{t<k} b_t b_t^T:
    maximise b_k^T R_{k-1} b_k with b_k = sgn(Kbar_l a_k), by

    1. spectral relaxation (drop sgn): the generalized eigenproblem
       Kbar^T R Kbar a = lambda Kbar^T Kbar a, largest lambda, scaled so that
       a^T Kbar^T Kbar a = l;
    2. from there, minimising -phi(Kbar a)^T R phi(Kbar a) with the sigmoid
       surrogate phi (L-BFGS here; the paper uses gradient descent);

    keeping whichever of the two gives the larger b^T R b. R is applied as
    an operator (:class:`LabelResidue`), never stored as an l x l matrix,
    and Kbar^T R Kbar of step 1 loses (Kbar^T b)(Kbar^T b)^T after each bit
    instead of being recomputed.

    Args:
        num_bits (int): K.
        num_anchors (int): m kernel anchors (the paper: 300).
        num_labeled (int): l labelled training rows used (the paper: 1000
            or 2000); all rows if fewer.
        smooth_iters (int): L-BFGS iterations of step 2.
        seed (int): seed of the anchor and labelled-row choice.
    """

    supervised = True

    def __init__(self,
                 num_bits: int,
                 num_anchors: int = 300,
                 num_labeled: int = 2000,
                 smooth_iters: int = 100,
                 seed: int = 0):
        super().__init__(num_bits, seed)
        self.kernel = AnchorKernel(num_anchors)
        self.num_labeled = num_labeled
        self.smooth_iters = smooth_iters

    def _fit(self, features, labels):
        generator = self.generator()
        pick, kernel = self.kernel.fit_and_sample(features, self.num_labeled,
                                                  generator)
        residue = LabelResidue(labels[pick], self.num_bits, kernel)
        whitening = torch.linalg.cholesky(kernel_gram(kernel))
        # Kbar^T R Kbar, kept equal to it as R loses b b^T bit by bit.
        projected_residue = kernel.t() @ (residue @ kernel)
        weights = []
        for _ in range(self.num_bits):
            spectral = spectral_weights(kernel, whitening, projected_residue)
            a = self._refine(kernel, residue, spectral)
            bits = sign_codes(kernel @ a)
            residue.subtract(bits)
            projected_bits = kernel.t() @ bits
            projected_residue -= torch.outer(projected_bits, projected_bits)
            weights.append(a)
        self.weights = torch.stack(weights, dim=1)

    def _refine(self, kernel, residue, spectral):
        """Step 2 from the spectral a: L-BFGS on the sigmoid surrogate;
        whichever of the two gives the larger sgn(K a)^T R sgn(K a)."""
        smooth = spectral.clone()
        optimizer = torch.optim.LBFGS([smooth],
                                      max_iter=self.smooth_iters,
                                      line_search_fn='strong_wolfe')

        def closure():
            loss, smooth.grad = surrogate_loss(kernel, residue, smooth)
            return loss

        optimizer.step(closure)

        def gain(a):
            bits = sign_codes(kernel @ a)
            return bits @ (residue @ bits)

        return smooth if gain(smooth) > gain(spectral) else spectral

    def _project(self, features):
        return self.kernel(features) @ self.weights
