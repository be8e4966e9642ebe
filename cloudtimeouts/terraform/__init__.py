"""Terraform and OpenTofu: judge a plan's values (`plan --terraform-plan`), export a profile as HCL.

Teams that manage their databases' parameters with Terraform keep them there: cloudtimeouts then
guards what Terraform will ship, and can write the profile's values as the HCL Terraform should
hold. Nothing here calls a cloud, and nothing here names one: each cloud's resource types are its
provider package's `TerraformMapping` (`mapping`).

`plan_from_terraform` is loaded on first use (PEP 562), so that a cloud's mapping can read this
room's records without loading the judge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudtimeouts.terraform.judge import plan_from_terraform

__all__ = ["plan_from_terraform"]


def __getattr__(name: str) -> Any:
    if name == "plan_from_terraform":
        from cloudtimeouts.terraform.judge import plan_from_terraform

        return plan_from_terraform
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
