"""pantau: watch the public social-media activity of Indonesian civil servants (ASN)
for partisan acts forbidden by the 2022 joint decree (SKB) on ASN neutrality.

One way through the code: registry -> collectors -> classify -> store -> review/export -> flows.
"""

__version__ = "0.1.0"
