"""The car's navigation: policy output -> normalized steering angle and throttle."""
from deepracer_navigation.mapping import Navigator, ThrottleCurve, throttle_curve

__all__ = ["Navigator", "ThrottleCurve", "throttle_curve"]
