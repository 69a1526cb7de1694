"""KSH: kernel-based supervised hashing, fitted greedily bit by bit."""
import torch

from ..codes import share_label, sign_codes
from ..registry import HASHERS
from .base import FeatureHasher
from .kernel import AnchorKernel


def smooth_sign(t: torch.Tensor) -> torch.Tensor:
    """phi(t) = 2 / (1 + exp(-t)) - 1, KSH's sigmoid surrogate of sgn."""
    return 2 * torch.sigmoid(t) - 1


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

    keeping whichever of the two gives the larger b^T R b.

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
        similarity = share_label(labels[pick]).to(kernel) * 2 - 1
        residue = self.num_bits * similarity
        weights = []
        for _ in range(self.num_bits):
            a = self._fit_bit(kernel, residue)
            bits = sign_codes(kernel @ a)
            residue -= torch.outer(bits, bits)
            weights.append(a)
        self.weights = torch.stack(weights, dim=1)
        self.residue = residue

    def _fit_bit(self, kernel, residue):
        """a_k maximising sgn(K a)^T R sgn(K a) (steps 1 and 2)."""
        gram = kernel.t() @ kernel
        gram.diagonal().add_(1e-8 * gram.diagonal().mean() + 1e-12)
        chol = torch.linalg.cholesky(gram)
        middle = torch.linalg.solve_triangular(
            chol, kernel.t() @ residue @ kernel, upper=False)
        middle = torch.linalg.solve_triangular(chol, middle.t(), upper=False)
        _, vectors = torch.linalg.eigh((middle + middle.t()) / 2)
        spectral = torch.linalg.solve_triangular(
            chol.t(), vectors[:, -1:], upper=True)[:, 0]
        spectral *= (kernel.shape[0] /
                     (kernel @ spectral).square().sum()).sqrt()

        smooth = spectral.clone().requires_grad_(True)
        optimizer = torch.optim.LBFGS([smooth],
                                      max_iter=self.smooth_iters,
                                      line_search_fn='strong_wolfe')

        def closure():
            optimizer.zero_grad()
            soft = smooth_sign(kernel @ smooth)
            loss = -(soft @ residue @ soft) / kernel.shape[0]**2
            loss.backward()
            return loss

        optimizer.step(closure)
        smooth = smooth.detach()

        def gain(a):
            bits = sign_codes(kernel @ a)
            return bits @ residue @ bits

        return smooth if gain(smooth) > gain(spectral) else spectral

    def _project(self, features):
        return self.kernel(features) @ self.weights
