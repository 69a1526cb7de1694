"""ITQ-CCA: ITQ on the canonical-correlation directions of features and
labels (supervised)."""
import torch

from ..registry import HASHERS
from .itq import ITQ


def cca_directions(centered_x: torch.Tensor, centered_y: torch.Tensor,
                   num: int, reg: float):
    """Leading CCA directions of X: (d, num) W and the squared canonical
    correlations (num,).

    Solves C_xy C_yy^-1 C_yx w = lambda C_xx w (Hotelling 1936), with
    C_xx + reg I and C_yy + reg I regularised, through the symmetric
    problem for u = C_xx^(1/2) w; w is normalised to w^T C_xx w = 1.
    """
    n = centered_x.shape[0]
    eye_x = torch.eye(centered_x.shape[1]).to(centered_x)
    eye_y = torch.eye(centered_y.shape[1]).to(centered_x)
    cxx = centered_x.t() @ centered_x / n + reg * eye_x
    cyy = centered_y.t() @ centered_y / n + reg * eye_y
    cxy = centered_x.t() @ centered_y / n
    values, vectors = torch.linalg.eigh(cxx)
    cxx_inv_sqrt = vectors @ torch.diag(values.rsqrt()) @ vectors.t()
    m = cxx_inv_sqrt @ cxy @ torch.linalg.solve(cyy, cxy.t()) @ cxx_inv_sqrt
    corr2, u = torch.linalg.eigh((m + m.t()) / 2)
    order = corr2.argsort(descending=True)[:num]
    return cxx_inv_sqrt @ u[:, order], corr2[order].clamp(min=0)


@HASHERS.register_module()
class ITQCCA(ITQ):
    """ITQ-CCA (Gong, Lazebnik, Gordo & Perronnin, TPAMI 2013):
    project centred features on the K leading CCA directions between
    features and labels, each scaled by its eigenvalue (squared canonical
    correlation; our reading of the paper's weighting), then rotate with
    ITQ. A label matrix with C classes gives
    at most C - 1 directions of non-zero correlation; for K beyond that the
    remaining directions get weight 0 before the rotation.

    Args:
        num_bits (int): K <= feature dimension.
        reg (float): ridge added to both covariances (numerical safety).
        num_iters, seed: as :class:`ITQ`.
    """

    supervised = True

    def __init__(self,
                 num_bits: int,
                 reg: float = 1e-4,
                 num_iters: int = 50,
                 seed: int = 0):
        super().__init__(num_bits, num_iters, seed)
        self.reg = reg

    def _directions(self, centered, labels):
        labels = labels.to(centered)
        directions, self.squared_correlations = cca_directions(
            centered, labels - labels.mean(dim=0), self.num_bits, self.reg)
        return directions * self.squared_correlations
