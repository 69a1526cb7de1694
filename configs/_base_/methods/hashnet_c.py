# HashNet-C: HashNet's weighted loss on tanh(z) without continuation (beta
# stays 1); the codes are binarised by sgn(z) after training. (The paper's
# Table 3 calls this variant HashNet-sgn.)
method_hooks = []
