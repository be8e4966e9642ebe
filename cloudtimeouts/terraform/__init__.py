"""Terraform and OpenTofu: judge a plan's values (`plan --terraform-plan`), export a profile as HCL.

Teams that manage parameter groups, Cloud SQL flags and Azure server parameters with Terraform
keep them there: cloudtimeouts then guards what Terraform will ship, and can write the profile's
values as the HCL Terraform should hold. Nothing here calls a cloud.
"""

from cloudtimeouts.terraform.judge import plan_from_terraform

__all__ = ["plan_from_terraform"]
