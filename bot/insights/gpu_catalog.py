"""What the hints need to know about GPU instances: GPUs per size, prices, generations.

On-demand Linux prices in USD per hour, us-east-1, from the AWS price list
(EC2 and SageMaker real-time inference pages; checked 2024). Hints use them
only to estimate a *switch* (a size or generation the bill does not show);
what you pay today always comes from the bill itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

PRICE_SOURCE = "AWS on-demand price list, us-east-1 (2024)"


@dataclass(frozen=True)
class GpuInstance:
    """One GPU instance size: its accelerators and on-demand price per hour."""

    name: str
    gpus: int
    gpu: str
    price: Decimal


CATALOG: dict[str, GpuInstance] = {
    i.name: i
    for i in (
        GpuInstance("p3.2xlarge", 1, "V100", Decimal("3.06")),
        GpuInstance("p3.8xlarge", 4, "V100", Decimal("12.24")),
        GpuInstance("p3.16xlarge", 8, "V100", Decimal("24.48")),
        GpuInstance("p4d.24xlarge", 8, "A100", Decimal("32.7726")),
        GpuInstance("p5.48xlarge", 8, "H100", Decimal("98.32")),
        GpuInstance("g5.xlarge", 1, "A10G", Decimal("1.006")),
        GpuInstance("g5.2xlarge", 1, "A10G", Decimal("1.212")),
        GpuInstance("g5.12xlarge", 4, "A10G", Decimal("5.672")),
        GpuInstance("g5.48xlarge", 8, "A10G", Decimal("16.288")),
        GpuInstance("g6.xlarge", 1, "L4", Decimal("0.8048")),
        GpuInstance("g6.12xlarge", 4, "L4", Decimal("4.6016")),
        GpuInstance("g6.48xlarge", 8, "L4", Decimal("13.3504")),
        GpuInstance("ml.g5.xlarge", 1, "A10G", Decimal("1.408")),
        GpuInstance("ml.g5.2xlarge", 1, "A10G", Decimal("1.515")),
        GpuInstance("ml.g5.12xlarge", 4, "A10G", Decimal("7.09")),
        GpuInstance("ml.g5.48xlarge", 8, "A10G", Decimal("20.36")),
        GpuInstance("ml.p4d.24xlarge", 8, "A100", Decimal("37.688")),
    )
}


@dataclass(frozen=True)
class Upgrade:
    """A newer generation to move to, and how much work it does per hour relative to the old."""

    old: str
    new: str
    relative_throughput: Decimal
    source: str


# Conservative throughput ratios (new ÷ old per instance); a move is suggested only when
# price ÷ throughput falls. p4d → p5 costs 3.0x per hour; at the 2.5x assumed here it is
# not favoured, so it is suggested only when a faster ratio is measured for the workload.
UPGRADES: dict[str, Upgrade] = {
    u.old: u
    for u in (
        Upgrade(
            "p3.2xlarge",
            "g5.2xlarge",
            Decimal("1.0"),
            "A10G ≈ V100 for fp16 inference and fine-tuning",
        ),
        Upgrade("p3.8xlarge", "g5.12xlarge", Decimal("1.0"), "4x A10G ≈ 4x V100 (fp16)"),
        Upgrade("p3.16xlarge", "g5.48xlarge", Decimal("1.0"), "8x A10G ≈ 8x V100 (fp16)"),
        Upgrade(
            "p4d.24xlarge", "p5.48xlarge", Decimal("2.5"), "H100 vs A100 training, conservative"
        ),
    )
}


def family(instance_type: str) -> str:
    """Return the family of ``p4d.24xlarge`` or ``ml.g5.2xlarge``: ``p4d`` / ``g5``."""
    name = instance_type.removeprefix("ml.")
    return name.split(".", 1)[0]


def is_gpu(instance_type: str) -> bool:
    """Say whether an instance type carries GPUs or AI accelerators."""
    fam = family(instance_type)
    return (fam[:1] in ("p", "g") and fam[1:2].isdigit()) or fam.startswith(("trn", "inf", "dl"))


def smallest_fitting(instance_type: str, gpus_needed: int) -> GpuInstance | None:
    """Return the cheapest size of the same family with at least ``gpus_needed`` GPUs."""
    prefix = "ml." if instance_type.startswith("ml.") else ""
    fam = family(instance_type)
    sizes = [
        i
        for i in CATALOG.values()
        if i.name.startswith(prefix)
        and (prefix or not i.name.startswith("ml."))
        and family(i.name) == fam
        and i.gpus >= gpus_needed
    ]
    return min(sizes, key=lambda i: i.price) if sizes else None
