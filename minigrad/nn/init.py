"""`minigrad.nn.init` is torch.nn.init's namespace; the functions live in minigrad.init."""
from ..init import (_calculate_fan_in_and_fan_out, calculate_fan_in_and_fan_out, calculate_gain, constant_, dirac_,
                    eye_, kaiming_normal_, kaiming_uniform_, normal_, ones_, orthogonal_, trunc_normal_, uniform_,
                    xavier_normal_, xavier_uniform_, zeros_)

__all__ = ["calculate_gain", "calculate_fan_in_and_fan_out", "_calculate_fan_in_and_fan_out", "uniform_", "normal_",
           "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_", "orthogonal_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]
